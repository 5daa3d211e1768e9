;; Imitates the import pattern of an app built with upstream's Rust SDK + calimero-storage: the
;; `__calimero_register_merge` hook, DATA_REGISTER = u64::MAX - 1 for every host result, 32-byte storage
;; keys, `input` -> `register_len` -> `read_register`, storage_read/storage_write against the host, a
;; panic through panic_utf8 with a Location, value_return, and `commit(root_hash, artifact)` at the end of
;; every mutating method (init, set).
(module
  (import "env" "panic_utf8" (func $panic_utf8 (param i64 i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "value_return" (func $value_return (param i64)))
  (import "env" "log_utf8" (func $log_utf8 (param i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64) (result i32)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64) (result i32)))
  (import "env" "time_now" (func $time_now (param i64)))
  (import "env" "commit" (func $commit (param i64 i64)))
  (import "env" "executor_id" (func $executor_id (param i64)))

  (memory (export "memory") 17)
  (global $merge_registered (mut i32) (i32.const 0))

  ;; root key = 32 x 0x00 at 1024, entry key = 32 x 0x01 at 1056
  (data (i32.const 1056) "\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01\01")
  (data (i32.const 1100) "Cannot initialize over already existing state.") ;; 46
  (data (i32.const 1150) "Failed to find or read app state")                ;; 32
  (data (i32.const 1190) "src/lib.rs")                                      ;; 10
  (data (i32.const 1200) "merge hook not called")                           ;; 21
  (data (i32.const 1230) "{\"v\":1}")                                       ;; 7

  (func $d (param $at i32) (param $ptr i32) (param $len i32)
    (i64.store (local.get $at) (i64.extend_i32_u (local.get $ptr)))
    (i64.store offset=8 (local.get $at) (i64.extend_i32_u (local.get $len))))

  (func $panic_str (param $ptr i32) (param $len i32)
    (call $d (i32.const 0) (local.get $ptr) (local.get $len))
    (call $d (i32.const 16) (i32.const 1190) (i32.const 10))
    (i32.store (i32.const 32) (i32.const 42))
    (i32.store (i32.const 36) (i32.const 9))
    (call $panic_utf8 (i64.const 0) (i64.const 16))
    (unreachable))

  ;; reads DATA_REGISTER into 65536.. and returns its length
  (func $take (result i32)
    (local $len i32)
    (local.set $len (i32.wrap_i64 (call $register_len (i64.const -2))))
    (call $d (i32.const 48) (i32.const 65536) (local.get $len))
    (drop (call $read_register (i64.const -2) (i64.const 48)))
    (local.get $len))

  ;; commit(root_hash, artifact): root hash = 32 bytes of the stored value's length, artifact = 8-byte time
  (func $finish (param $n i32)
    (memory.fill (i32.const 2048) (local.get $n) (i32.const 32))
    (call $d (i32.const 64) (i32.const 2080) (i32.const 8))
    (call $time_now (i64.const 64))
    (call $d (i32.const 80) (i32.const 2048) (i32.const 32))
    (call $commit (i64.const 80) (i64.const 64)))

  (func (export "__calimero_register_merge") (global.set $merge_registered (i32.const 1)))

  (func (export "init")
    (if (i32.eqz (global.get $merge_registered)) (then (call $panic_str (i32.const 1200) (i32.const 21))))
    (call $d (i32.const 96) (i32.const 1024) (i32.const 32))
    (if (call $storage_read (i64.const 96) (i64.const -2))
      (then (call $panic_str (i32.const 1100) (i32.const 46))))
    (call $d (i32.const 112) (i32.const 1230) (i32.const 7))
    (drop (call $storage_write (i64.const 96) (i64.const 112) (i64.const -2)))
    (call $finish (i32.const 7)))

  (func (export "set")
    (local $len i32)
    (call $d (i32.const 96) (i32.const 1024) (i32.const 32))
    (if (i32.eqz (call $storage_read (i64.const 96) (i64.const -2)))
      (then (call $panic_str (i32.const 1150) (i32.const 32))))
    (call $executor_id (i64.const -2))
    (call $input (i64.const -2))
    (local.set $len (call $take))
    (call $d (i32.const 96) (i32.const 1056) (i32.const 32))
    (call $d (i32.const 112) (i32.const 65536) (local.get $len))
    (call $log_utf8 (i64.const 112))
    (drop (call $storage_write (i64.const 96) (i64.const 112) (i64.const -2)))
    (call $finish (local.get $len)))

  (func (export "get")
    (local $len i32)
    (call $d (i32.const 96) (i32.const 1056) (i32.const 32))
    (if (call $storage_read (i64.const 96) (i64.const -2))
      (then
        (local.set $len (call $take))
        (i64.store (i32.const 128) (i64.const 0))
        (call $d (i32.const 136) (i32.const 65536) (local.get $len))
        (call $value_return (i64.const 128)))))
)
