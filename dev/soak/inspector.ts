/** Heap used by a Node process after a full GC, through its inspector (a WebSocket URL). */
export async function heapUsedAfterGc(inspectorUrl: string): Promise<number> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let id = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const callId = ++id;
      const onMessage = (message: MessageEvent) => {
        const data = JSON.parse(String(message.data)) as { id?: number; result?: Record<string, unknown> };
        if (data.id !== callId) return;
        socket.removeEventListener('message', onMessage);
        resolve(data.result ?? {});
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id: callId, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const { result } = (await call('Runtime.evaluate', {
      expression: 'process.memoryUsage().heapUsed',
      returnByValue: true,
    })) as { result?: { value?: number } };
    return result?.value ?? Number.NaN;
  } finally {
    socket.close();
  }
}
