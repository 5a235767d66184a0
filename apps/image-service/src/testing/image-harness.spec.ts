// Support for the integration specs (named .spec.ts so only tests may import it; not a test file itself).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { topics as topicNames, type Envelope, type Topics } from '@strata/contracts';
import { KafkaMessageBus, type IncomingMessage, type Subscription } from '@strata/messaging';
import { commandEnvelope, createTestInfra, eventually, useInfraEnv, type TestInfra } from '@strata/testing';
import { AppModule } from '../app.module';

/**
 * The image service in this process against the real PostgreSQL and Kafka, listening on a
 * free port (uploads are HTTP), with an observer of the image events and dead letters.
 */
export interface ImageHarness {
  readonly infra: TestInfra;
  readonly app: INestApplication;
  /** http://127.0.0.1:<port> of the running service (a new port after restart). */
  readonly baseUrl: string;
  /** Stops the service and starts it again on the same database and topics, as after a crash or an upgrade. */
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
  readonly topics: Topics;
  readonly events: Envelope[];
  readonly deadLetters: IncomingMessage[];
  send(type: string, aggregateId: string, data: unknown): Promise<string>;
  sendRaw(key: string, value: string | Buffer): Promise<void>;
  eventFor(type: string, causationId: string): Promise<Envelope>;
  /** The first event a command caused that is neither its intent nor progress: its outcome or rejection. */
  outcome(commandId: string, timeoutMs?: number): Promise<Envelope>;
  close(): Promise<void>;
}

async function startApp(): Promise<INestApplication> {
  const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return app;
}

const portOf = (app: INestApplication) => (app.getHttpServer().address() as AddressInfo).port;

export async function startImageHarness(label: string): Promise<ImageHarness> {
  const infra = await createTestInfra(label);
  useInfraEnv(infra);
  const topics = topicNames(infra.topicPrefix);
  let app = await startApp();
  const bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: `${label}-int` });
  const events: Envelope[] = [];
  const deadLetters: IncomingMessage[] = [];
  const sub: Subscription = await bus.subscribe({
    groupId: `${infra.topicPrefix}observer`,
    topics: [topics.imageEvents, topics.deadLetter],
    handle: async (m) => {
      if (m.topic === topics.deadLetter) deadLetters.push(m);
      else events.push(JSON.parse(m.value!.toString('utf8')) as Envelope);
    },
  });
  const sendRaw = (key: string, value: string | Buffer) => bus.publish([{ topic: topics.imageCommands, key, value }]);
  return {
    infra,
    get app() {
      return app;
    },
    get baseUrl() {
      return `http://127.0.0.1:${portOf(app)}`;
    },
    async restart(whileDown) {
      await app.close();
      await whileDown?.();
      app = await startApp();
    },
    topics,
    events,
    deadLetters,
    async send(type, aggregateId, data) {
      const command = commandEnvelope(type, aggregateId, data);
      await sendRaw(aggregateId, JSON.stringify(command));
      return command.messageId;
    },
    sendRaw,
    eventFor: (type, causationId) =>
      eventually(`${type} caused by ${causationId}`, async () => events.find((e) => e.type === type && e.causationId === causationId)),
    outcome: (commandId, timeoutMs) =>
      eventually(
        `the outcome of ${commandId}`,
        async () => events.find((e) => e.causationId === commandId && !e.type.endsWith('Requested') && e.type !== 'TemplateTransferProgressed'),
        timeoutMs,
      ),
    async close() {
      await sub.stop();
      await bus.close();
      await app.close();
      await infra.dispose();
    },
  };
}

export interface ServedFile {
  readonly body: Buffer;
  /** The first GET gets this many bytes, then the connection is dropped. */
  readonly breakFirstAt?: number;
  /** Bytes per 50 ms, to keep a download running for a while. */
  readonly throttle?: number;
  /** Answered instead of the file. */
  readonly status?: number;
}

/** One request the image server saw. */
export interface SeenRequest {
  readonly path: string;
  readonly range: string | null;
}

/** A local HTTP server of image files, with Range support (206), for the service to download from. */
export interface ImageServer {
  readonly url: string;
  serve(path: string, file: ServedFile): string;
  readonly requests: SeenRequest[];
  requestsFor(path: string): SeenRequest[];
  close(): Promise<void>;
}

export async function startImageServer(): Promise<ImageServer> {
  const files = new Map<string, ServedFile>();
  const gets = new Map<string, number>();
  const requests: SeenRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const range = req.headers.range ?? null;
    requests.push({ path, range });
    const file = files.get(path);
    if (!file) return res.writeHead(404).end();
    if (file.status) return res.writeHead(file.status).end();
    const count = (gets.get(path) ?? 0) + 1;
    gets.set(path, count);
    const total = file.body.length;
    let start = 0;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= total) return res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
      res.writeHead(206, { 'content-length': total - start, 'content-range': `bytes ${start}-${total - 1}/${total}`, 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-length': total, 'accept-ranges': 'bytes' });
    }
    const end = count === 1 && file.breakFirstAt !== undefined ? file.breakFirstAt : total;
    if (!file.throttle) {
      res.write(file.body.subarray(start, end), () => {
        if (end < total) res.destroy();
        else res.end();
      });
      return;
    }
    let at = start;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      const next = Math.min(end, at + file.throttle!);
      res.write(file.body.subarray(at, next));
      at = next;
      if (at >= end) {
        clearInterval(timer);
        if (end < total) res.destroy();
        else res.end();
      }
    }, 50);
    res.on('close', () => clearInterval(timer));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serve(path, file) {
      files.set(path, file);
      return `${url}${path}`;
    },
    requests,
    requestsFor: (path) => requests.filter((r) => r.path === path),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** PUTs a file to the service as a stream (as a browser or the CLI would), returning the status and JSON body. */
export async function putFile(url: string, file: string, contentType = 'application/octet-stream'): Promise<{ status: number; body: unknown }> {
  const { size } = await stat(file);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'content-type': contentType, 'content-length': size } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
