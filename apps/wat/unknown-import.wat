;; Imports a function upstream does not provide: instantiation fails with a link error.
(module
  (import "env" "no_such_host_function" (func $x (param i64)))
  (memory (export "memory") 1)
  (func (export "run") (call $x (i64.const 0))))
