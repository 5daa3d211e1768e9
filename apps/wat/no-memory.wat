;; A module without a `memory` export: upstream refuses it (ExportError::Missing("memory")).
(module (func (export "run")))
