import type { Server } from 'node:http';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** How often idle keep-alive connections are closed while the app drains. */
export const DRAIN_INTERVAL_MS = 50;

/**
 * Graceful shutdown, HTTP side. Nest closes the listener (no new connections) and waits
 * for every open connection to end; Node closes the connections idle at that moment,
 * but a keep-alive connection whose request was still running stays open after its
 * response. While the app drains, this closes each connection as soon as it goes idle,
 * so the process exits once the last in-flight request has been answered (rather than
 * after the keep-alive timeout).
 */
@Injectable()
export class ConnectionDrainer implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private timer?: NodeJS.Timeout;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  beforeApplicationShutdown(signal?: string): void {
    if (signal) this.logger.log(`${signal}: shutting down, finishing the requests in flight`);
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (typeof server?.closeIdleConnections !== 'function') return;
    this.timer = setInterval(() => server.closeIdleConnections(), DRAIN_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(signal?: string): void {
    clearInterval(this.timer);
    if (signal) this.logger.log('HTTP requests drained');
  }
}
