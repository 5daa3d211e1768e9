/**
 * Upstream's host functions for its QuickJS SDK (host_functions/js_collections.rs): CRDT collections backed by
 * calimero-storage. This node does not run that storage layer, so each of them traps with a named error.
 */
import { unsupported, type HostFunctions } from './call.ts';

export const JS_COLLECTIONS = [
  'js_crdt_map_new',
  'js_crdt_map_get',
  'js_crdt_map_insert',
  'js_crdt_map_remove',
  'js_crdt_map_contains',
  'js_crdt_map_iter',
  'js_crdt_vector_new',
  'js_crdt_vector_len',
  'js_crdt_vector_push',
  'js_crdt_vector_get',
  'js_crdt_vector_pop',
  'js_crdt_set_new',
  'js_crdt_set_insert',
  'js_crdt_set_contains',
  'js_crdt_set_remove',
  'js_crdt_set_len',
  'js_crdt_set_iter',
  'js_crdt_set_clear',
  'js_crdt_lww_new',
  'js_crdt_lww_set',
  'js_crdt_lww_get',
  'js_crdt_lww_timestamp',
  'js_crdt_counter_new',
  'js_crdt_counter_increment',
  'js_crdt_counter_value',
  'js_crdt_counter_get_executor_count',
  'js_user_storage_new',
  'js_user_storage_insert',
  'js_user_storage_get',
  'js_user_storage_get_for_user',
  'js_user_storage_remove',
  'js_user_storage_contains',
  'js_user_storage_contains_user',
  'js_frozen_storage_new',
  'js_frozen_storage_add',
  'js_frozen_storage_get',
  'js_frozen_storage_contains',
] as const;

export function jsCollections(): HostFunctions {
  return unsupported(JS_COLLECTIONS);
}
