// Answers Dovecot's token introspection at once, with no check at all: the HTTP round trip from
// Dovecot into a Node process and nothing else. The bench runs it inside an appliance to measure
// what that hop alone costs. TOKENS is a JSON object from each token to the username it names.
import { createServer } from 'node:http';

const owners = Object.entries(JSON.parse(process.env.TOKENS ?? '{}'));
const port = Number(process.env.PORT ?? 8899);

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    const owner = owners.find(([token]) => body.includes(token));
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify(owner ? { active: true, username: owner[1], quota_storage_size: 'unlimited' } : { active: false }),
    );
  });
});
// As long as fastify keeps them (the helper's server): Dovecot reuses its connections the same way.
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => console.log(`answering introspection on ${port}`));
