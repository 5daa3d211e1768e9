;; Declares more initial memory (2000 pages = 125 MiB) than max_memory_pages allows.
(module (memory (export "memory") 2000) (func (export "run")))
