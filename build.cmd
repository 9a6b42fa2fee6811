@echo off
rem Windows entry point: restore, build and test.   build.cmd [-cuda] [-notest] [-pack] [-c Debug^|Release]
rem -pack also writes the Prior.MLNet, Prior.MLNet.Onnx and Prior.MLNet.Synthetic packages (with symbols) and the
rem Prior.MLNet.Tool package (prior, a .NET tool carrying this OS's libtorch) to artifacts\.
rem -cuda references TorchSharp-cuda-windows instead of the CPU libtorch (needs an NVIDIA driver and GPU).
setlocal
set BACKEND=cpu
set CONFIG=Release
set RUNTESTS=1
set PACK=0
:parse
if "%~1"=="" goto run
if /I "%~1"=="-cuda" (set BACKEND=cuda& shift & goto parse)
if /I "%~1"=="-notest" (set RUNTESTS=0& shift & goto parse)
if /I "%~1"=="-pack" (set PACK=1& shift & goto parse)
if /I "%~1"=="-c" (set CONFIG=%~2& shift & shift & goto parse)
echo build.cmd: unknown argument "%~1" 1>&2
exit /b 2
:run
cd /d "%~dp0"
dotnet restore Prior.MLNet.sln -p:TorchBackend=%BACKEND% || exit /b 1
dotnet build Prior.MLNet.sln -c %CONFIG% --no-restore -p:TorchBackend=%BACKEND% || exit /b 1
if "%PACK%"=="1" for %%P in (Prior.MLNet Prior.MLNet.Onnx Prior.MLNet.Synthetic Prior.MLNet.Tool) do (
  dotnet pack src\%%P\%%P.csproj -c %CONFIG% --no-build -o artifacts -p:TorchBackend=%BACKEND% || exit /b 1
)
if "%RUNTESTS%"=="1" dotnet test Prior.MLNet.sln -c %CONFIG% --no-build -p:TorchBackend=%BACKEND% || exit /b 1
exit /b 0
