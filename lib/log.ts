// One structured JSON line per logged request (LOG_REQUESTS). Never the token, never the body: ids, outcome
// and timing only.
export interface RequestLogEntry {
  requestId: string | undefined;
  learningId: string | undefined;
  userId: string | undefined;
  status: number;
  outcome: string;
  latencyMs: number;
  cause?: { name: string; message: string } | undefined;
}

export function logRequest(entry: RequestLogEntry): void {
  const level = entry.status >= 500 ? 'error' : 'info';
  process.stdout.write(`${JSON.stringify({ level, message: 'update_learning', ...entry })}\n`);
}
