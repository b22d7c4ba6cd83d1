/** `cannot read WHAT: ENOENT`: a file or directory given on the command line, refused by its error's code rather than node's long message. */
export function cannotRead(what: string, error: unknown): Error {
  return new Error(`cannot read ${what}: ${error instanceof Error && 'code' in error ? String(error.code) : String(error)}`);
}
