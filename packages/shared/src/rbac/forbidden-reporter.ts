import type { Logger } from '../runtime/logger.js';
import { type AppAccess, explainForbidden, type ForbiddenExplanation } from './explain-forbidden.js';
import { parseForbidden } from './forbidden.js';
import type { Identity } from './who-am-i.js';

export interface ForbiddenReporterOptions {
  logger: Logger;
  access: AppAccess;
  /** Who the app runs as (whoAmI with the app's KubeConfig); asked at the first refusal. */
  whoAmI: () => Promise<Identity | undefined>;
}

/**
 * Turns the apiserver's 403s into one log line each and a list for /readyz: who the app runs
 * as, what was refused, and the fix. A refusal repeated by a retry loop is logged once, until
 * the call it belongs to succeeds (clear) or is refused something else.
 */
export class ForbiddenReporter {
  private identity: Promise<Identity | undefined> | undefined;
  /** By call (e.g. "guitar list/watch"): the refusal logged, and its explanation once known. */
  private readonly current = new Map<string, { key: string; explanation?: ForbiddenExplanation }>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: ForbiddenReporterOptions) {}

  /**
   * When `err` is a 403, explains it (logged once while it lasts) and returns true; any other
   * error returns false, for the caller to handle as before. `call` names what was refused.
   */
  report(call: string, err: unknown): boolean {
    const refusal = parseForbidden(err);
    if (!refusal) return false;
    const key = JSON.stringify([
      refusal.verb,
      refusal.group,
      refusal.resource,
      refusal.namespace,
      refusal.name,
    ]);
    if (this.current.get(call)?.key === key) {
      this.options.logger.debug({ status: 403, call }, 'refused again, as logged before');
      return true;
    }
    const entry: { key: string; explanation?: ForbiddenExplanation } = { key };
    this.current.set(call, entry);
    const done = this.explain(err).then((explanation) => {
      // Cleared or refused something else meanwhile: that is the news, not this.
      if (!explanation || this.current.get(call) !== entry) return;
      entry.explanation = explanation;
      const { message, ...fields } = explanation;
      this.options.logger.error({ status: 403, call, ...fields }, message);
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return true;
  }

  /** `call` succeeded: its refusal is over. */
  clear(call: string): void {
    this.current.delete(call);
  }

  /** One sentence per call refused now, for /readyz. */
  problems(): string[] {
    return [...this.current.values()].flatMap((entry) =>
      entry.explanation ? [entry.explanation.message] : [],
    );
  }

  /** The explanation of a 403 (undefined for any other error), without logging or keeping it. */
  async explain(err: unknown): Promise<ForbiddenExplanation | undefined> {
    const refusal = parseForbidden(err);
    if (!refusal) return undefined;
    return explainForbidden(refusal, await this.whoAmI(), this.options.access);
  }

  /** Resolves once the explanations being worked out are logged. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Asked once; asked again after an answer that did not say. */
  private async whoAmI(): Promise<Identity | undefined> {
    this.identity ??= this.options.whoAmI().catch(() => undefined);
    const identity = await this.identity;
    if (!identity) this.identity = undefined;
    return identity;
  }
}
