;; Hand-written module that drives the Calimero host ABI (env imports, all i64 pointers/lengths/registers)
;; directly, one exported method per behaviour. Layout: descriptors at 0..1023, constant data at 1024..4095,
;; scratch at 4096..8191, register copies at 65536.. (page 2).
(module
  (import "env" "panic" (func $panic (param i64)))
  (import "env" "panic_utf8" (func $panic_utf8 (param i64 i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
  (import "env" "context_id" (func $context_id (param i64)))
  (import "env" "executor_id" (func $executor_id (param i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "value_return" (func $value_return (param i64)))
  (import "env" "log_utf8" (func $log_utf8 (param i64)))
  (import "env" "js_std_d_print" (func $js_std_d_print (param i64 i64 i64) (result i32)))
  (import "env" "emit" (func $emit (param i64)))
  (import "env" "emit_with_handler" (func $emit_with_handler (param i64 i64)))
  (import "env" "xcall" (func $xcall (param i64)))
  (import "env" "commit" (func $commit (param i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64) (result i32)))
  (import "env" "storage_read" (func $storage_read (param i64 i64) (result i32)))
  (import "env" "storage_remove" (func $storage_remove (param i64 i64) (result i32)))
  (import "env" "private_storage_read" (func $private_storage_read (param i64 i64) (result i32)))
  (import "env" "private_storage_write" (func $private_storage_write (param i64 i64) (result i32)))
  (import "env" "fetch" (func $fetch (param i64 i64 i64 i64 i64) (result i32)))
  (import "env" "random_bytes" (func $random_bytes (param i64)))
  (import "env" "time_now" (func $time_now (param i64)))
  (import "env" "ed25519_verify" (func $ed25519_verify (param i64 i64 i64) (result i32)))
  (import "env" "send_proposal" (func $send_proposal (param i64 i64)))
  (import "env" "context_members" (func $context_members (param i64)))
  (import "env" "context_create" (func $context_create (param i64 i64 i64 i64)))
  (import "env" "blob_create" (func $blob_create (result i64)))
  (import "env" "blob_write" (func $blob_write (param i64 i64) (result i64)))
  (import "env" "blob_close" (func $blob_close (param i64 i64) (result i32)))
  (import "env" "blob_open" (func $blob_open (param i64) (result i64)))
  (import "env" "blob_read" (func $blob_read (param i64 i64) (result i64)))
  (import "env" "js_crdt_map_new" (func $js_crdt_map_new (param i64) (result i32)))

  (memory (export "memory") 2)

  (data (i32.const 1024) "k")            ;; key
  (data (i32.const 1032) "none")         ;; 4 bytes
  (data (i32.const 1040) "hello")        ;; 5 bytes
  (data (i32.const 1048) "Ping")         ;; 4
  (data (i32.const 1056) "{}")           ;; 2
  (data (i32.const 1064) "Pong")         ;; 4
  (data (i32.const 1072) "on_pong")      ;; 7
  (data (i32.const 1080) "abi.wat")      ;; 7
  (data (i32.const 1088) "boom")         ;; 4
  (data (i32.const 1096) "\ff\fe")       ;; 2 invalid UTF-8
  (data (i32.const 1104) "art")          ;; 3
  (data (i32.const 1112) "ping")         ;; 4
  (data (i32.const 1120) "blobdata")     ;; 8
  (data (i32.const 1128) "a")            ;; 1
  (data (i32.const 1136) "1")            ;; 1
  (data (i32.const 1144) "absent")       ;; 6
  (data (i32.const 1152) "GET")          ;; 3
  (data (i32.const 1160) "from d_print") ;; 12
  (data (i32.const 1184) "\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11\11")
  (data (i32.const 1248) "kid")          ;; 3
  (data (i32.const 1256) "near")         ;; 4
  (data (i32.const 1216) "\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22\22")

  ;; Buffer descriptor {ptr: u64, len: u64} at $at.
  (func $d (param $at i32) (param $ptr i32) (param $len i32)
    (i64.store (local.get $at) (i64.extend_i32_u (local.get $ptr)))
    (i64.store offset=8 (local.get $at) (i64.extend_i32_u (local.get $len))))

  ;; value_return with discriminant $disc (0 ok, 1 err) of the bytes at $ptr..$ptr+$len.
  (func $ret (param $disc i64) (param $ptr i32) (param $len i32)
    (i64.store (i32.const 32) (local.get $disc))
    (call $d (i32.const 40) (local.get $ptr) (local.get $len))
    (call $value_return (i64.const 32)))

  ;; Copies register $reg to 65536 and returns its length.
  (func $copy_reg (param $reg i64) (result i32)
    (local $len i32)
    (local.set $len (i32.wrap_i64 (call $register_len (local.get $reg))))
    (call $d (i32.const 16) (i32.const 65536) (local.get $len))
    (drop (call $read_register (local.get $reg) (i64.const 16)))
    (local.get $len))

  (func $ret_reg (param $disc i64) (param $reg i64)
    (call $ret (local.get $disc) (i32.const 65536) (call $copy_reg (local.get $reg))))

  (func (export "echo") (call $input (i64.const 0)) (call $ret_reg (i64.const 0) (i64.const 0)))
  (func (export "echo_err") (call $input (i64.const 0)) (call $ret_reg (i64.const 1) (i64.const 0)))

  (func (export "ids")
    (call $context_id (i64.const 1))
    (call $executor_id (i64.const 2))
    (call $d (i32.const 16) (i32.const 4096) (i32.const 32))
    (drop (call $read_register (i64.const 1) (i64.const 16)))
    (call $d (i32.const 16) (i32.const 4128) (i32.const 32))
    (drop (call $read_register (i64.const 2) (i64.const 16)))
    (call $ret (i64.const 0) (i32.const 4096) (i32.const 64)))

  ;; store: k = input; returns the evicted value or "none"
  (func (export "store")
    (local $len i32)
    (local.set $len (i32.wrap_i64 (block (result i64) (call $input (i64.const 0)) (call $register_len (i64.const 0)))))
    (call $d (i32.const 16) (i32.const 4096) (local.get $len))
    (drop (call $read_register (i64.const 0) (i64.const 16)))
    (call $d (i32.const 64) (i32.const 1024) (i32.const 1))
    (call $d (i32.const 80) (i32.const 4096) (local.get $len))
    (if (call $storage_write (i64.const 64) (i64.const 80) (i64.const 3))
      (then (call $ret_reg (i64.const 0) (i64.const 3)))
      (else (call $ret (i64.const 0) (i32.const 1032) (i32.const 4)))))

  (func (export "load")
    (call $d (i32.const 64) (i32.const 1024) (i32.const 1))
    (if (call $storage_read (i64.const 64) (i64.const 4))
      (then (call $ret_reg (i64.const 0) (i64.const 4)))
      (else (call $ret (i64.const 0) (i32.const 1032) (i32.const 4)))))

  (func (export "del")
    (call $d (i32.const 64) (i32.const 1024) (i32.const 1))
    (if (call $storage_remove (i64.const 64) (i64.const 5))
      (then (call $ret_reg (i64.const 0) (i64.const 5)))
      (else (call $ret (i64.const 0) (i32.const 1032) (i32.const 4)))))

  ;; writes a=1 then reads a back within the same call
  (func (export "write_read")
    (call $d (i32.const 64) (i32.const 1128) (i32.const 1))
    (call $d (i32.const 80) (i32.const 1136) (i32.const 1))
    (drop (call $storage_write (i64.const 64) (i64.const 80) (i64.const 3)))
    (drop (call $storage_read (i64.const 64) (i64.const 4)))
    (call $ret_reg (i64.const 0) (i64.const 4)))

  (func (export "log_emit")
    (call $d (i32.const 64) (i32.const 1040) (i32.const 5))
    (call $log_utf8 (i64.const 64))
    (drop (call $js_std_d_print (i64.const 0) (i64.const 1160) (i64.const 12)))
    ;; Event {kind, data} at 96
    (call $d (i32.const 96) (i32.const 1048) (i32.const 4))
    (call $d (i32.const 112) (i32.const 1056) (i32.const 2))
    (call $emit (i64.const 96))
    (call $d (i32.const 96) (i32.const 1064) (i32.const 4))
    (call $d (i32.const 112) (i32.const 1136) (i32.const 1))
    (call $d (i32.const 128) (i32.const 1072) (i32.const 7))
    (call $emit_with_handler (i64.const 96) (i64.const 128)))

  (func (export "commit_root")
    (call $d (i32.const 64) (i32.const 1184) (i32.const 32))
    (call $d (i32.const 80) (i32.const 1104) (i32.const 3))
    (call $commit (i64.const 64) (i64.const 80)))

  (func (export "commit_twice")
    (call $d (i32.const 64) (i32.const 1184) (i32.const 32))
    (call $d (i32.const 80) (i32.const 1104) (i32.const 3))
    (call $commit (i64.const 64) (i64.const 80))
    (call $commit (i64.const 64) (i64.const 80)))

  (func (export "time")
    (call $d (i32.const 64) (i32.const 4096) (i32.const 8))
    (call $time_now (i64.const 64))
    (call $ret (i64.const 0) (i32.const 4096) (i32.const 8)))

  (func (export "rand")
    (call $d (i32.const 64) (i32.const 4096) (i32.const 32))
    (call $random_bytes (i64.const 64))
    (call $ret (i64.const 0) (i32.const 4096) (i32.const 32)))

  ;; input = signature(64) ‖ public key(32) ‖ message; returns one byte 0/1
  (func (export "verify")
    (local $len i32)
    (local.set $len (call $copy_reg (block (result i64) (call $input (i64.const 0)) (i64.const 0))))
    (call $d (i32.const 64) (i32.const 65536) (i32.const 64))
    (call $d (i32.const 80) (i32.const 65600) (i32.const 32))
    (call $d (i32.const 96) (i32.const 65632) (i32.sub (local.get $len) (i32.const 96)))
    (i32.store8 (i32.const 4096) (call $ed25519_verify (i64.const 64) (i64.const 80) (i64.const 96)))
    (call $ret (i64.const 0) (i32.const 4096) (i32.const 1)))

  ;; Location {file, line: 7, column: 3} at 160
  (func $loc
    (call $d (i32.const 160) (i32.const 1080) (i32.const 7))
    (i32.store (i32.const 176) (i32.const 7))
    (i32.store (i32.const 180) (i32.const 3)))
  (func (export "panic_loc") (call $loc) (call $panic (i64.const 160)))
  (func (export "panic_msg")
    (call $loc)
    (call $d (i32.const 64) (i32.const 1088) (i32.const 4))
    (call $panic_utf8 (i64.const 64) (i64.const 160)))

  (func (export "bad_utf8_log")
    (call $d (i32.const 64) (i32.const 1096) (i32.const 2))
    (call $log_utf8 (i64.const 64)))
  (func (export "oob")
    (call $d (i32.const 64) (i32.const 131000) (i32.const 1000))
    (call $log_utf8 (i64.const 64)))
  (func (export "bad_register")
    (call $d (i32.const 16) (i32.const 4096) (i32.const 4))
    (drop (call $read_register (i64.const 99) (i64.const 16))))
  (func (export "register_missing")
    (if (i64.eq (call $register_len (i64.const 77)) (i64.const -1))
      (then (call $ret (i64.const 0) (i32.const 1144) (i32.const 6)))))

  (func (export "xcall_it")
    (call $d (i32.const 192) (i32.const 1216) (i32.const 32))
    (call $d (i32.const 208) (i32.const 1112) (i32.const 4))
    (call $d (i32.const 224) (i32.const 1056) (i32.const 2))
    (call $xcall (i64.const 192)))

  (func (export "unsupported") (drop (call $js_crdt_map_new (i64.const 0))))

  (func (export "fetch_it")
    (call $d (i32.const 64) (i32.const 1040) (i32.const 5))
    (call $d (i32.const 80) (i32.const 1152) (i32.const 3))
    (call $d (i32.const 96) (i32.const 1056) (i32.const 0))
    (call $d (i32.const 112) (i32.const 1056) (i32.const 0))
    (drop (call $fetch (i64.const 64) (i64.const 80) (i64.const 96) (i64.const 112) (i64.const 6)))
    (call $ret_reg (i64.const 0) (i64.const 6)))

  (func (export "private")
    (local $len i32)
    (local.set $len (call $copy_reg (block (result i64) (call $input (i64.const 0)) (i64.const 0))))
    (call $d (i32.const 64) (i32.const 1024) (i32.const 1))
    (call $d (i32.const 80) (i32.const 65536) (local.get $len))
    (drop (call $private_storage_write (i64.const 64) (i64.const 80)))
    (if (call $private_storage_read (i64.const 64) (i64.const 7))
      (then (call $ret_reg (i64.const 0) (i64.const 7)))
      (else (call $ret (i64.const 0) (i32.const 1032) (i32.const 4)))))

  ;; asks for a child context: protocol "near", application 0x11…, init args "{}", alias "kid"
  (func (export "create_child")
    (call $d (i32.const 64) (i32.const 1256) (i32.const 4))
    (call $d (i32.const 80) (i32.const 1184) (i32.const 32))
    (call $d (i32.const 96) (i32.const 1056) (i32.const 2))
    (call $d (i32.const 112) (i32.const 1248) (i32.const 3))
    (call $context_create (i64.const 64) (i64.const 80) (i64.const 96) (i64.const 112)))

  (func (export "members") (call $context_members (i64.const 8)) (call $ret_reg (i64.const 0) (i64.const 8)))

  (func (export "proposal")
    (call $d (i32.const 64) (i32.const 1104) (i32.const 3))
    (call $d (i32.const 80) (i32.const 4096) (i32.const 32))
    (call $send_proposal (i64.const 64) (i64.const 80))
    (call $ret (i64.const 0) (i32.const 4096) (i32.const 32)))

  ;; creates a blob "blobdata", reopens it by id and reads it back: returns id(32) ‖ bytes read
  (func (export "blob_roundtrip")
    (local $fd i64) (local $n i64)
    (local.set $fd (call $blob_create))
    (call $d (i32.const 64) (i32.const 1120) (i32.const 8))
    (drop (call $blob_write (local.get $fd) (i64.const 64)))
    (call $d (i32.const 80) (i32.const 4096) (i32.const 32))
    (drop (call $blob_close (local.get $fd) (i64.const 80)))
    (local.set $fd (call $blob_open (i64.const 80)))
    (call $d (i32.const 96) (i32.const 4128) (i32.const 64))
    (local.set $n (call $blob_read (local.get $fd) (i64.const 96)))
    (call $ret (i64.const 0) (i32.const 4096) (i32.add (i32.const 32) (i32.wrap_i64 (local.get $n)))))

  (func (export "trap_div") (drop (i32.div_s (i32.const 1) (i32.sub (i32.const 1) (i32.const 1)))))
  (func (export "with_args") (param i32))
  (func (export "returns_value") (result i32) (i32.const 1))
)
