# prior serve in a container, on CPU libtorch (docs/serving.md):
#   docker build -t prior-mlnet .
#   docker run --rm -p 5080:5080 -v "$PWD/models:/models:ro" prior-mlnet            # serves /models/prior.zip
#   docker run --rm -v "$PWD:/work" prior-mlnet embed --model /work/prior.zip --images /work/images.txt --out /work/emb.tsv
# The build stage publishes the tool exactly as DockerfileTests does (the line below is read by that test); the publish
# output carries libtorch, already patched for Debian 12's libstdc++, and SkiaSharp without system dependencies.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Prior.MLNet.Tool/Prior.MLNet.Tool.csproj -c Release -p:TorchBackend=cpu -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# OpenJPEG for JPEG 2000 DICOMs (loaded at run time; without it such a file is refused, naming this package).
RUN apt-get update && apt-get install -y --no-install-recommends libopenjp2-7 && rm -rf /var/lib/apt/lists/*
# Not root: the server needs no privilege.
USER app
EXPOSE 5080
# Probes: GET /healthz (liveness) and GET /readyz (readiness; 503 while draining).
ENTRYPOINT ["dotnet", "prior.dll"]
CMD ["serve", "--model", "/models/prior.zip", "--host", "0.0.0.0", "--port", "5080"]
