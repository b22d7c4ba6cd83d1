import { launchBrowserPages, type BrowserPages } from './browser-pages.ts';
import { ensureWebBuilt } from './chromium.ts';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startHearth, type Hearth, type HearthOptions } from './harness.ts';

/** What a browser test file starts with: a Hearth of the tier under test, a team on it, and Chromium. */
export interface BrowserSuite {
  readonly hearth: Hearth;
  readonly pages: BrowserPages;
  readonly admin: HearthClient;
  readonly members: readonly HearthClient[];
  /** The room everyone is in from the start. */
  readonly allTalkId: string;
  /** Closes the browser, then stops the Hearth. */
  stop(): Promise<void>;
}

export async function startBrowserSuite(memberCount: number, options: HearthOptions = {}): Promise<BrowserSuite> {
  ensureWebBuilt();
  const hearth = await startHearth(options);
  try {
    const team = await createTeam(hearth.url, memberCount);
    const allTalkId = (await team.admin.roomNamed(DEFAULT_ROOM)).id;
    const pages = await launchBrowserPages(hearth.url);
    return {
      hearth,
      pages,
      admin: team.admin,
      members: team.members,
      allTalkId,
      async stop() {
        await pages.close();
        await hearth.stop();
      },
    };
  } catch (error) {
    await hearth.stop();
    throw error;
  }
}
