import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/** Turns true when shutdown begins: readiness answers 503 and new requests are refused. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private draining = false;

  get isShuttingDown(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}
