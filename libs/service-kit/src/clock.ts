import { randomUUID } from 'node:crypto';

/** Time and ids enter the domain only through these, so deciders stay pure and tests exact. */
export abstract class Clock {
  abstract now(): Date;
}
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

export abstract class IdGenerator {
  abstract newId(): string;
}
export class RandomIdGenerator extends IdGenerator {
  newId(): string {
    return randomUUID();
  }
}
