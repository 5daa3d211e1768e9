/**
 * One guest call, synchronous: start the call in the worker's {@link VMLogic}, validate the method name,
 * instantiate the (already compiled, memory-bounded) module or reuse a reset instance (reuse.ts), run the
 * upstream merge-registration hook if exported, call the method and turn whatever happened into an
 * {@link OutcomeData}. Runs inside an execution worker; the caller releases the instance with
 * `instances.release` once the outcome is sent.
 */
import { classifyTrap, errors, HostTrap, type RuntimeErrorData } from './errors.ts';
import { VMLogic, type CallInput } from './logic.ts';
import type { OutcomeData } from './outcome.ts';
import type { Instances } from './reuse.ts';

/** Upstream's validate_method_name: non-empty, at most max bytes, only ASCII alphanumerics and '_'. */
export function validateMethodName(method: string, max: number): RuntimeErrorData | null {
  if (method.length === 0) return errors.emptyMethodName();
  const len = Buffer.byteLength(method);
  if (len > max) return errors.methodNameTooLong(len, max);
  let position = 0;
  for (const ch of method) {
    if (!/^[A-Za-z0-9_]$/.test(ch)) return errors.invalidMethodNameCharacter(ch, position);
    position++;
  }
  return null;
}

const MERGE_HOOK = '__calimero_register_merge';

function toError(err: unknown, logic: VMLogic, maxPages: number): RuntimeErrorData {
  if (err instanceof HostTrap) return err.data;
  if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
    const data = classifyTrap(err);
    // A guest that hit its memory ceiling usually dies by `unreachable` in its allocator right after
    // memory.grow was refused: when the trap happens with memory (nearly) at max_memory_pages, report
    // the real cause. "Nearly": allocators grow in steps, so the last refused step may leave a gap.
    const slack = Math.max(1, Math.min(64, Math.floor(maxPages / 8)));
    if (data.type === 'Trap' && data.variant !== 'StackOverflow' && logic.memoryPages() + slack >= maxPages) return errors.memoryLimit(maxPages);
    return data;
  }
  // Anything else is a bug on our side of the ABI: upstream reports a host panic.
  return errors.panic({ context: 'host', message: err instanceof Error ? err.message : String(err) });
}

export function execute(instances: Instances, logic: VMLogic, method: string, call: CallInput): OutcomeData {
  const outcome = attempt(instances, logic, method, call);
  // A reused instance whose memory had grown has less room below the memory limit than a fresh one: a call that
  // failed in it runs again in a fresh instance, so only a fresh instance's failure is reported (reuse.ts).
  if (outcome.error !== null && instances.retryFresh()) return attempt(instances, logic, method, call);
  return outcome;
}

function attempt(instances: Instances, logic: VMLogic, method: string, call: CallInput): OutcomeData {
  logic.begin(call);
  const invalid = validateMethodName(method, call.limits.maxMethodNameSize);
  if (invalid) return logic.finish(invalid);
  const { sigs } = instances;

  let instance: WebAssembly.Instance;
  try {
    instance = instances.instantiate();
  } catch (err) {
    if (err instanceof WebAssembly.LinkError) return logic.finish(errors.link(err.message.replace(/^WebAssembly\.Instance\(\): /, '')));
    if (err instanceof RangeError && /memory/i.test(err.message)) return logic.finish(errors.memoryLimit(call.limits.maxMemoryPages));
    return logic.finish(toError(err, logic, call.limits.maxMemoryPages));
  }
  const memory = instance.exports['memory'];
  if (!(memory instanceof WebAssembly.Memory)) return logic.finish(errors.missingMemory());
  logic.attachMemory(memory);

  const hook = instance.exports[MERGE_HOOK];
  if (typeof hook === 'function' && (sigs[MERGE_HOOK]?.params ?? 0) === 0) {
    try {
      (hook as () => void)();
    } catch {
      // upstream: a failing merge-registration hook is logged and ignored
    }
  }

  const fn = Object.hasOwn(instance.exports, method) ? instance.exports[method] : undefined;
  if (typeof fn !== 'function') return logic.finish(errors.methodNotFound(method));
  const sig = sigs[method];
  if ((sig && (sig.params !== 0 || sig.results !== 0)) || (!sig && (fn as () => void).length !== 0)) {
    return logic.finish(errors.invalidSignature(method));
  }
  try {
    (fn as () => void)();
  } catch (err) {
    return logic.finish(toError(err, logic, call.limits.maxMemoryPages));
  }
  return logic.finish(null);
}
