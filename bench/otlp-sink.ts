/**
 * An OTLP/HTTP sink for pricing tracing in the bench: accepts POST /v1/traces, answers 200 and
 * counts the bytes; it decodes nothing, so its own CPU stays small (it is not the service's anyway).
 *   npx ts-node -T bench/otlp-sink.ts 4318
 *   npm run bench -- --service-env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 --baseline-app . ...
 */
import * as http from 'node:http';

const port = Number(process.argv[2] ?? 4318);
let requests = 0;
let bytes = 0;
http
  .createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      requests += 1;
      res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 200 : 404, {
        'content-type': 'application/json',
      });
      res.end('{}');
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`OTLP sink on http://127.0.0.1:${port}/v1/traces`));
process.on('SIGTERM', () => {
  console.log(`${requests} exports, ${bytes} bytes`);
  process.exit(0);
});
