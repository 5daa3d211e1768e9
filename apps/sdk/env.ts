// Raw imports of the Calimero host ABI (module "env"). Every pointer, length and register id is a u64;
// `*_ptr` arguments point at descriptors (see buffer.ts), not at the data itself. Grouped as the node's
// src/runtime/host/ files are (upstream's host_functions areas); this SDK declares the ones it wraps.

// system
@external("env", "panic") export declare function panic(location_ptr: u64): void;
@external("env", "panic_utf8") export declare function panic_utf8(msg_ptr: u64, location_ptr: u64): void;
@external("env", "register_len") export declare function register_len(register_id: u64): u64;
@external("env", "read_register") export declare function read_register(register_id: u64, buffer_ptr: u64): u32;
@external("env", "context_id") export declare function context_id(register_id: u64): void;
@external("env", "executor_id") export declare function executor_id(register_id: u64): void;
@external("env", "input") export declare function input(register_id: u64): void;
@external("env", "value_return") export declare function value_return(value_ptr: u64): void;
@external("env", "log_utf8") export declare function log_utf8(log_ptr: u64): void;
@external("env", "emit") export declare function emit(event_ptr: u64): void;
@external("env", "emit_with_handler") export declare function emit_with_handler(event_ptr: u64, handler_ptr: u64): void;
@external("env", "xcall") export declare function xcall(xcall_ptr: u64): void;
@external("env", "commit") export declare function commit(root_hash_ptr: u64, artifact_ptr: u64): void;

// storage
@external("env", "storage_read") export declare function storage_read(key_ptr: u64, register_id: u64): u32;
@external("env", "storage_write") export declare function storage_write(key_ptr: u64, value_ptr: u64, register_id: u64): u32;
@external("env", "storage_remove") export declare function storage_remove(key_ptr: u64, register_id: u64): u32;
@external("env", "private_storage_read") export declare function private_storage_read(key_ptr: u64, register_id: u64): u32;
@external("env", "private_storage_write") export declare function private_storage_write(key_ptr: u64, value_ptr: u64): u32;
@external("env", "private_storage_remove") export declare function private_storage_remove(key_ptr: u64, register_id: u64): u32;

// utility
@external("env", "random_bytes") export declare function random_bytes(buffer_ptr: u64): void;
@external("env", "time_now") export declare function time_now(buffer_ptr: u64): void;
@external("env", "ed25519_verify") export declare function ed25519_verify(signature_ptr: u64, public_key_ptr: u64, message_ptr: u64): u32;

// blobs (descriptors as above: `data_ptr`/`blob_id_ptr`/`context_id_ptr` point at Buffer descriptors)
@external("env", "blob_create") export declare function blob_create(): u64;
@external("env", "blob_write") export declare function blob_write(fd: u64, data_ptr: u64): u64;
@external("env", "blob_close") export declare function blob_close(fd: u64, blob_id_ptr: u64): u32;
@external("env", "blob_open") export declare function blob_open(blob_id_ptr: u64): u64;
@external("env", "blob_read") export declare function blob_read(fd: u64, data_ptr: u64): u64;
@external("env", "blob_announce_to_context") export declare function blob_announce_to_context(blob_id_ptr: u64, context_id_ptr: u64): u32;

// governance
@external("env", "send_proposal") export declare function send_proposal(actions_ptr: u64, id_ptr: u64): void;
@external("env", "approve_proposal") export declare function approve_proposal(approval_ptr: u64): void;
