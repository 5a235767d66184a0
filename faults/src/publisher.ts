import type { KafkaMessageBus } from '@strata/messaging';
import { log } from './report';

/**
 * Publishes every command twice, back to back, with the same messageId (the inbox must make
 * the second a no-op), and retries a failed publish until it goes through, as a cloud platform
 * would while the broker restarts: a command is counted as sent once, whatever it took.
 */
export class Publisher {
  private readonly inFlight = new Set<Promise<void>>();
  retries = 0;
  messages = 0;

  constructor(private readonly bus: KafkaMessageBus) {}

  send(topic: string, key: string, value: string): void {
    const p = this.publishTwice(topic, key, value).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async publishTwice(topic: string, key: string, value: string): Promise<void> {
    const deadline = Date.now() + 300_000;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bus.publish([
          { topic, key, value },
          { topic, key, value },
        ]);
        this.messages += 2;
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        this.retries++;
        if (attempt === 1) log(`publish to ${topic} failed (${String(error).slice(0, 120)}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * attempt)));
      }
    }
  }

  pending(): number {
    return this.inFlight.size;
  }

  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
