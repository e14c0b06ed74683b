// Adds DELAY_MS to every request before passing it on to UPSTREAM (host:port): a network hop to
// a real IdP, which this kernel cannot add with netem. Runs in the test IdP's image (it has node).
import { Agent, createServer, request } from 'node:http';

const [upstreamHost, upstreamPort] = (process.env.UPSTREAM ?? 'idp:8080').split(':');
const delayMs = Number(process.env.DELAY_MS ?? 10);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

createServer((incoming, outgoing) => {
  setTimeout(() => {
    const headers = { ...incoming.headers, host: `${upstreamHost}:${upstreamPort}` };
    const upstream = request(
      { host: upstreamHost, port: Number(upstreamPort), method: incoming.method, path: incoming.url, headers, agent },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  }, delayMs);
}).listen(8080, () => console.log(`delaying requests to ${upstreamHost}:${upstreamPort} by ${delayMs} ms`));
