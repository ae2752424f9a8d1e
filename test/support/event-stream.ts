/** One Server-Sent Event as a browser's EventSource would dispatch it. */
interface StreamedEvent {
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` response as EventSource does (events end at a blank line; `event:`
 * and `data:` fields; comments ignored), collecting every event, for tests of the streams.
 */
export const openEventStream = async (url: string) => {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const events: StreamedEvent[] = [];
  const waiters: Array<() => void> = [];
  const reader = response.body?.getReader();
  const reading = (async () => {
    if (!reader || !response.ok) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const fields = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          fields
            .filter((line) => line.startsWith(`${name}:`))
            .map((line) => line.slice(name.length + 1).replace(/^ /, ''));
        const data = field('data');
        if (data.length === 0) continue;
        events.push({ event: field('event')[0] ?? 'message', data: data.join('\n') });
        for (const wake of waiters.splice(0)) wake();
      }
    }
    for (const wake of waiters.splice(0)) wake();
  })();
  let ended = false;
  void reading.then(() => {
    ended = true;
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    events,
    /** Whether the server ended the stream. */
    get ended() {
      return ended;
    },
    /** Resolves once `count` events of this name have arrived (or the stream ended). */
    async waitFor(name: string, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const matching = () => events.filter((e) => e.event === name);
      while (matching().length < count && !ended) {
        if (Date.now() > deadline)
          throw new Error(`no ${count}× "${name}" event in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return matching();
    },
    async close() {
      await reader?.cancel().catch(() => {});
      await reading;
    },
  };
};
