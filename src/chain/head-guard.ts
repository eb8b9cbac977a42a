// Ties the head monitor to the threshold rule: what the signing path calls for consensus requests.

import { checkHead, type HeadPolicy, type HeadVerdict } from './head-check.js';
import { HeadMonitor, type HeadMonitorOptions, type HeadState } from './head-monitor.js';

export interface ChainHeadConfig extends HeadMonitorOptions, HeadPolicy {}

export class ChainHeadGuard {
  readonly monitor: HeadMonitor;
  private readonly policy: HeadPolicy;

  constructor(cfg: ChainHeadConfig) {
    this.monitor = new HeadMonitor(cfg);
    this.policy = {
      maxLevelAhead: cfg.maxLevelAhead,
      maxLevelBehind: cfg.maxLevelBehind,
      failOpen: cfg.failOpen,
    };
  }

  start(): void {
    this.monitor.start();
  }

  stop(): Promise<void> {
    return this.monitor.stop();
  }

  state(): HeadState {
    return this.monitor.state();
  }

  get failOpen(): boolean {
    return this.policy.failOpen;
  }

  check(req: { chainId: string; level: number }): HeadVerdict {
    return checkHead(this.policy, this.monitor.state(), req);
  }
}
