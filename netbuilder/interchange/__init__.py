"""Interchange: everything that turns a Graph into other formats and back.

Readable Python source (codegen), verified ONNX / TorchScript / state_dict
exports (export, onnx_check, weights_file), and import from real model code
(fx_import, fx_rules, fx_trace, import_checks, user_code) and from ONNX files.
`core/` stays the model of a network; this package only reads and builds it.
"""
