// Re-exports the generated bindings, so apps write `import Microlearn` only.
@_exported import MicrolearnFFI
