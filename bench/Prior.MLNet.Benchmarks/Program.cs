using Prior.MLNet.Benchmarks;

// prior-bench: the performance suite of docs/performance.md. Not part of the shipped tool: it compares against
// libraries (NetVips, ONNX Runtime) and programs (djpeg) that the product does not use.
return BenchCommand.Create().Parse(args).Invoke();
