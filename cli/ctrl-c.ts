/**
 * Listens for Ctrl-C while a command can stop gently: the first calls `first`, a second one
 * (the operator insisting) calls `again`. Two within a second count as one: the launcher passes
 * a SIGINT on to this process when its stdio is not a terminal, and a terminal may deliver the
 * same Ctrl-C here as well. Returns the function that stops listening.
 */
export const onCtrlC = (first: () => void, again: () => void): (() => void) => {
  let firstAt: number | undefined;
  const listener = () => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      first();
    } else if (now - firstAt >= 1000) {
      again();
    }
  };
  process.on('SIGINT', listener);
  return () => process.off('SIGINT', listener);
};
