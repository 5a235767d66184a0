#!/usr/bin/env node
// Smoke test of the local infrastructure with the project's own clients (kafkajs, pg).
//   node scripts/smoke-infra.mjs        uses DATABASE_URL / KAFKA_BROKERS, else .strata/env
// Kafka: admin createTopics, idempotent producer, transactional producer, consumer group read,
// admin fetchOffsets. PostgreSQL: select 1, CREATEDB (create + drop a throwaway database).
// Exit 0 when all pass; prints one line per check.
import { existsSync } from 'node:fs';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { envFilePath } from './lib/infra.mjs';

const { Kafka, logLevel } = kafkajs;
// kafkajs 2.2.4 on Node >= 24 emits TimeoutNegativeWarning (tulios/kafkajs#1751): harmless.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

if ((!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS) && existsSync(envFilePath())) {
  // loadEnvFile does not override variables that are already set.
  process.loadEnvFile(envFilePath());
}
const { DATABASE_URL, KAFKA_BROKERS } = process.env;
if (!DATABASE_URL || !KAFKA_BROKERS) {
  console.error('DATABASE_URL / KAFKA_BROKERS not set and no env file; run: node scripts/infra.mjs up');
  process.exit(1);
}

const results = [];
async function check(name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    results.push(true);
    console.log(`ok   ${name} (${Math.round(performance.now() - t0)} ms)${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push(false);
    console.log(`FAIL ${name}: ${err.stack ?? err}`);
  }
}

async function kafkaSmoke() {
  const kafka = new Kafka({
    clientId: 'strata-smoke',
    brokers: KAFKA_BROKERS.split(','),
    // ERROR-level "coordinator is loading/not available" lines on a fresh broker are retried
    // by kafkajs and harmless; NOTHING keeps the output to our own check lines.
    logLevel: process.env.SMOKE_KAFKA_LOG ? logLevel.INFO : logLevel.NOTHING,
  });
  const topic = `strata-smoke-${Date.now()}`;
  const groupId = `${topic}-g`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await check('kafka admin createTopics', async () => {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      if (!created) throw new Error('createTopics returned false');
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return `${topic}, ${meta.topics[0].partitions.length} partitions`;
    });
    await check('kafka idempotent producer send', async () => {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const md = await producer.send({
        topic,
        acks: -1,
        messages: [
          { key: 'a', value: 'one' },
          { key: 'b', value: 'two' },
        ],
      });
      await producer.disconnect();
      return md.map((m) => `p${m.partition}@${m.baseOffset}`).join(' ');
    });
    await check('kafka transactional producer commit', async () => {
      const producer = kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ key: 'c', value: 'three' }] });
      await tx.commit();
      await producer.disconnect();
    });
    await check('kafka consumer group read', async () => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen = [];
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only got ${seen.length}/3 messages in 30 s`)), 30000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(message.value.toString());
              if (seen.length >= 3) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      await consumer.disconnect(); // commits the offsets
      return seen.sort().join(',');
    });
    await check('kafka admin fetchOffsets', async () => {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const parts = offsets[0].partitions;
      const total = parts.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      // 3 records + 1 transaction marker on the transactional partition
      if (total < 3) throw new Error(`committed offsets too low: ${JSON.stringify(parts)}`);
      return parts.map((p) => `p${p.partition}=${p.offset}`).join(' ');
    });
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

async function pgSmoke() {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await check('postgres select 1', async () => {
      const r = await client.query('select 1 as one, version() as v');
      if (r.rows[0].one !== 1) throw new Error(`unexpected ${JSON.stringify(r.rows)}`);
      return r.rows[0].v.split(' on ')[0];
    });
    await check('postgres CREATEDB (throwaway database)', async () => {
      const db = `strata_smoke_${process.pid}`;
      await client.query(`create database ${db}`);
      await client.query(`drop database ${db}`);
      return db;
    });
  } finally {
    await client.end();
  }
}

await check('postgres connect', pgSmoke);
await check('kafka connect', kafkaSmoke);
const failed = results.filter((ok) => !ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
