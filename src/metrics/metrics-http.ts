import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { fastifyApp } from '../web/fastify-app.ts';
import type { Metrics } from './metrics.ts';

/** GET /metrics in Prometheus' text format. */
export function metricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}

/** Times every delegated call the helper answers, labelled by its route (e.g. /dovecot/introspect). */
export function timeRequests(app: FastifyInstance, metrics: Metrics): void {
  const timers = new WeakMap<object, () => void>();
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url?.startsWith('/dovecot/')) timers.set(request, metrics.timer(request.routeOptions.url));
  });
  app.addHook('onResponse', async (request) => timers.get(request)?.());
}

/** METRICS_PORT: /metrics alone on all interfaces, for a Prometheus outside the container. */
export async function startMetricsServer(
  port: number,
  metrics: Metrics,
  log: FastifyBaseLogger,
): Promise<{ close(): Promise<void> }> {
  const app = fastifyApp(log.child({ server: 'metrics' }), { bodyLimit: 1024 });
  metricsRoute(app, metrics);
  await app.listen({ host: '0.0.0.0', port });
  return { close: () => app.close() };
}
