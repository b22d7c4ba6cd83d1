import type { api } from './api.ts';
import type { ChatContext } from './chat-state.ts';

/** The account's name and, for administrators, its join link. */

export type AccountApi = Pick<typeof api, 'account' | 'rotateJoinCode'>;

export interface Account {
  refresh(): Promise<void>;
  rotateJoinCode(): Promise<void>;
}

export function createAccount(ctx: ChatContext, accountApi: AccountApi): Account {
  const { store } = ctx;
  async function refresh(): Promise<void> {
    // Only administrators may see the join link; a member's request would be refused.
    if (ctx.me.role !== 'administrator') {
      store.update((s) => ({ ...s, joinUrl: null }));
      return;
    }
    try {
      const account = await accountApi.account();
      store.update((s) => ({ ...s, accountName: account.name, joinUrl: account.joinUrl ?? null }));
    } catch (error) {
      console.warn('hearth: could not load the account', error);
    }
  }
  return {
    refresh,
    async rotateJoinCode() {
      const account = await accountApi.rotateJoinCode();
      if (account.joinUrl !== undefined) store.update((s) => ({ ...s, joinUrl: account.joinUrl ?? null }));
      else await refresh();
    },
  };
}
