/** Reads an event stream; next(match) resolves with the first event whose text matches. */
export async function openStream(url: string) {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    response,
    async next(match: RegExp, timeoutMs = 2_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const events = buffer.split('\n\n');
        buffer = events.pop() ?? '';
        const found = events.find((e) => match.test(e));
        if (found) return found;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || !reader) throw new Error(`no event matching ${match} within ${timeoutMs} ms`);
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no event matching ${match}`)), remaining),
          ),
        ]);
        if (chunk.done) throw new Error('the stream ended');
        buffer += chunk.value;
      }
    },
    close: () => reader?.cancel(),
  };
}
