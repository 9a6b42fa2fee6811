#!/usr/bin/env bash
# Linux/macOS entry point: restore, build and test.   ./build.sh [--cuda] [--no-test] [--pack] [--configuration Debug|Release]
# --pack also writes the Prior.MLNet, Prior.MLNet.Onnx and Prior.MLNet.Synthetic packages (with symbols) and the
# Prior.MLNet.Tool package (`prior`, a .NET tool carrying this OS's libtorch) to artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
backend=cpu; configuration=Release; run_tests=1; pack=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) backend=cuda ;;
    --no-test) run_tests=0 ;;
    --pack) pack=1 ;;
    --configuration|-c) configuration="$2"; shift ;;
    -h|--help) echo "usage: ./build.sh [--cuda] [--no-test] [--pack] [--configuration Debug|Release]"; exit 0 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
props=(-p:TorchBackend="$backend")
dotnet restore Prior.MLNet.sln "${props[@]}"
dotnet build Prior.MLNet.sln -c "$configuration" --no-restore "${props[@]}"
if [ "$pack" = 1 ]; then
  for project in Prior.MLNet Prior.MLNet.Onnx Prior.MLNet.Synthetic Prior.MLNet.Tool; do
    dotnet pack "src/$project/$project.csproj" -c "$configuration" --no-build -o artifacts "${props[@]}"
  done
fi
if [ "$run_tests" = 1 ]; then
  dotnet test Prior.MLNet.sln -c "$configuration" --no-build "${props[@]}"
fi
