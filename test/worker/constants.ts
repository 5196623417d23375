/**
 * Settings shared by the Workers suite's three sides: vitest.workers.config.ts (the Worker's bindings),
 * the Node global setup (a Node app on the same database) and the tests inside workerd.
 */
export const WORKER_TEST_PUBLIC_URL = 'https://bridge.test';
export const WORKER_TEST_OPERATOR_TOKEN = 'worker-test-operator-token-0123456789abcdef';
export const WORKER_TEST_SESSION_SECRET = 'worker-test-session-secret-0123456789abcdef';

/** What the Node global setup hands to the tests in workerd through vitest's provide/inject. */
export interface WorkerSuiteProvided {
  /** The test IdP's RSA key and self-signed certificate (made with openssl, which workerd lacks). */
  idpKeys: { privateKeyPem: string; certificatePem: string };
  /** A response the Node app already accepted on this database: the Worker must refuse it. */
  usedOnNode: { companyId: string; apiKey: string; samlResponse: string; email: string };
  /** The relying party's back-channel logout receiver (http://127.0.0.1:port): POST /logout, GET /received, PUT /down|/up. */
  backchannelReceiver: string;
  /**
   * The webhook receiver: `origin` (http://127.0.0.1:port or another local address) for the tests'
   * GET /received?path= and PUT /answer?path=&status=; `hookOrigin`, the same server by this machine's
   * host name, for webhook URLs (a Worker refuses loopback and private address literals), or null
   * when the host name does not resolve here.
   */
  webhookReceiver: { origin: string; hookOrigin: string | null };
}

/** One POST the webhook receiver recorded: its headers (lower-case names), raw body, and the status it answered. */
export interface RecordedWebhook {
  headers: Record<string, string>;
  body: string;
  status: number;
  at: number;
}

declare module 'vitest' {
  export interface ProvidedContext extends WorkerSuiteProvided {}
}
