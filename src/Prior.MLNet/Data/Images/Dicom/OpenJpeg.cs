using System.Runtime.InteropServices;

namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// JPEG 2000 (DICOM's 1.2.840.10008.1.2.4.90 and .91, raw codestreams and JP2 files) through OpenJPEG 2.x, the
/// reference codec, loaded at run time from the system rather than shipped: Debian and Ubuntu's <c>libopenjp2-7</c>
/// (<c>libopenjp2.so.7</c>), Homebrew's <c>openjpeg</c>, and on Windows <c>openjp2.dll</c> beside the program or on
/// PATH (vcpkg's or conda's <c>openjpeg</c>, or OpenJPEG's release archive); the environment variable
/// <c>PRIOR_OPENJPEG</c> names the library's full path where it is elsewhere. The header is read first and the declared
/// size checked against the pixel budget before OpenJPEG allocates the image; decoding is strict (OpenJPEG 2.5's strict
/// mode: a codestream cut short is an error, not a partly decoded picture), and every OpenJPEG error is reported with
/// the file's name. Where no OpenJPEG is found, a JPEG 2000 file is refused saying what to install.
/// </summary>
internal static class OpenJpeg
{
    /// <summary>The environment variable that names the OpenJPEG library's path.</summary>
    public const string PathVariable = "PRIOR_OPENJPEG";

    private static readonly Lazy<Api?> Loaded = new(Api.TryLoad);

    /// <summary>OpenJPEG's version where it was found ("2.5.0"), else null.</summary>
    public static string? Version => Loaded.Value?.VersionText;

    /// <summary>What to install, for messages.</summary>
    public const string InstallHint =
        "install OpenJPEG 2.x: on Debian/Ubuntu 'apt-get install libopenjp2-7', on macOS 'brew install openjpeg', on Windows put "
        + "openjp2.dll (vcpkg or conda 'openjpeg', or OpenJPEG's release archive) beside the program or on PATH, or set "
        + PathVariable
        + " to the library's full path";

    /// <summary>
    /// Decodes a JPEG 2000 codestream or JP2 file; <paramref name="source"/> names it in errors. Components of any precision
    /// up to 16 bits, signed or unsigned, at the full resolution; subsampled components are refused.
    /// </summary>
    public static DecodedSamples Decode(byte[] data, string source, long maxPixels)
    {
        var api = Loaded.Value
            ?? throw new InvalidDataException($"{source}: a JPEG 2000 image, and no OpenJPEG library was found; {InstallHint}.");
        bool jp2 =
            data.Length >= 12
            && data.AsSpan(0, 12).SequenceEqual(new byte[] { 0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A });
        bool j2k = data.Length >= 4 && data[0] == 0xFF && data[1] == 0x4F && data[2] == 0xFF && data[3] == 0x51;
        if (!jp2 && !j2k)
            throw new InvalidDataException(
                $"{source}: the JPEG 2000 data starts with neither a codestream (SOC, SIZ) nor a JP2 signature."
            );
        var messages = new List<string>();
        var messagesHandle = GCHandle.Alloc(messages);
        var state = new StreamState(data);
        var stateHandle = GCHandle.Alloc(state);
        IntPtr codec = IntPtr.Zero,
            stream = IntPtr.Zero,
            image = IntPtr.Zero,
            parameters = IntPtr.Zero;
        try
        {
            codec = api.CreateDecompress(jp2 ? 2 : 0);
            api.SetErrorHandler(codec, Api.Collect, GCHandle.ToIntPtr(messagesHandle));
            api.SetWarningHandler(codec, Api.Ignore, IntPtr.Zero);
            // opj_dparameters_t is large and version-dependent: OpenJPEG fills it in memory that is surely big enough.
            parameters = Marshal.AllocHGlobal(64 * 1024);
            api.SetDefaultDecoderParameters(parameters);
            if (api.SetupDecoder(codec, parameters) == 0)
                throw Failure(source, "could not set up the decoder", messages);
            api.SetStrictMode?.Invoke(codec, 1);
            stream = api.StreamCreate((nuint)Math.Min(data.Length + 1, 1 << 20), 1);
            api.StreamSetReadFunction(stream, Api.Read);
            api.StreamSetSkipFunction(stream, Api.Skip);
            api.StreamSetSeekFunction(stream, Api.Seek);
            api.StreamSetUserData(stream, GCHandle.ToIntPtr(stateHandle), IntPtr.Zero);
            api.StreamSetUserDataLength(stream, (ulong)data.Length);
            if (api.ReadHeader(stream, codec, out image) == 0 || image == IntPtr.Zero)
                throw Failure(source, "could not read the JPEG 2000 header", messages);
            var header = ImageHeader.Read(image);
            long width = header.X1 - (long)header.X0,
                height = header.Y1 - (long)header.Y0;
            if (width < 1 || height < 1 || header.Components is < 1 or > 4)
                throw new InvalidDataException($"{source}: a JPEG 2000 image of {width} × {height} × {header.Components} is not read.");
            ImageBudget.ThrowIfOver(source, width, height, maxPixels);
            if (api.Decode(codec, stream, image) == 0 || api.EndDecompress(codec, stream) == 0)
                throw Failure(source, "corrupt: OpenJPEG could not decode the JPEG 2000 data", messages);
            var decoded = ImageHeader.Read(image);
            var planes = new int[decoded.Components][];
            int precision = 0;
            for (int c = 0; c < decoded.Components; c++)
            {
                var component = ImageHeader.Component(decoded, c);
                if (component.Dx != 1 || component.Dy != 1 || component.Width != width || component.Height != height)
                    throw new InvalidDataException(
                        $"{source}: JPEG 2000 component {c + 1} is {component.Width} × {component.Height} (subsampled {component.Dx} × "
                            + $"{component.Dy}); only full-resolution components are read."
                    );
                if (component.Precision is < 1 or > 16 || component.Data == IntPtr.Zero)
                    throw new InvalidDataException($"{source}: JPEG 2000 component {c + 1} of {component.Precision} bits is not read.");
                precision = Math.Max(precision, component.Precision);
                planes[c] = new int[width * height];
                Marshal.Copy(component.Data, planes[c], 0, planes[c].Length);
                if (component.Signed)
                {
                    // DICOM keeps signed values in two's complement within their bits, as a native file would.
                    int mask = (1 << component.Precision) - 1;
                    var plane = planes[c];
                    for (int i = 0; i < plane.Length; i++)
                        plane[i] &= mask;
                }
            }
            return new DecodedSamples(planes, (int)width, (int)height, precision);
        }
        finally
        {
            if (image != IntPtr.Zero)
                api.ImageDestroy(image);
            if (stream != IntPtr.Zero)
                api.StreamDestroy(stream);
            if (codec != IntPtr.Zero)
                api.DestroyCodec(codec);
            if (parameters != IntPtr.Zero)
                Marshal.FreeHGlobal(parameters);
            stateHandle.Free();
            messagesHandle.Free();
        }
    }

    private static InvalidDataException Failure(string source, string what, List<string> messages) =>
        new($"{source}: {what}{(messages.Count > 0 ? " (OpenJPEG: " + string.Join("; ", messages.Select(m => m.Trim())) + ")" : "")}.");

    private sealed class StreamState(byte[] data)
    {
        public byte[] Data { get; } = data;
        public long Position { get; set; }
    }

    // opj_image_t and opj_image_comp_t as OpenJPEG 2.x lays them out (openjpeg.h; unchanged from 2.0 to 2.5).
    private readonly record struct ImageHeader(uint X0, uint Y0, uint X1, uint Y1, int Components, IntPtr Comps)
    {
        public static ImageHeader Read(IntPtr image) =>
            new(
                (uint)Marshal.ReadInt32(image, 0),
                (uint)Marshal.ReadInt32(image, 4),
                (uint)Marshal.ReadInt32(image, 8),
                (uint)Marshal.ReadInt32(image, 12),
                Marshal.ReadInt32(image, 16),
                Marshal.ReadIntPtr(image, 24)
            );

        // dx, dy, w, h, x0, y0, prec, bpp, sgnd, resno_decoded, factor (11 × 4 bytes), then the data pointer, then alpha.
        private static readonly int ComponentSize = IntPtr.Size == 8 ? 64 : 52;

        public static (int Dx, int Dy, long Width, long Height, int Precision, bool Signed, IntPtr Data) Component(ImageHeader h, int c)
        {
            var at = h.Comps + c * ComponentSize;
            return (
                Marshal.ReadInt32(at, 0),
                Marshal.ReadInt32(at, 4),
                (uint)Marshal.ReadInt32(at, 8),
                (uint)Marshal.ReadInt32(at, 12),
                Marshal.ReadInt32(at, 24),
                Marshal.ReadInt32(at, 32) != 0,
                Marshal.ReadIntPtr(at, IntPtr.Size == 8 ? 48 : 44)
            );
        }
    }

    /// <summary>The OpenJPEG functions used, bound from the library found at run time.</summary>
    private sealed class Api
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate nuint ReadFn(IntPtr buffer, nuint count, IntPtr user);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate long SkipFn(long count, IntPtr user);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int SeekFn(long position, IntPtr user);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void MessageFn(IntPtr message, IntPtr user);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr VersionFn();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr CreateDecompressFn(int format);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int SetHandlerFn(IntPtr codec, MessageFn handler, IntPtr user);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void ParametersFn(IntPtr parameters);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int SetupFn(IntPtr codec, IntPtr parameters);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int StrictFn(IntPtr codec, int strict);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr StreamCreateFn(nuint bufferSize, int isInput);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void SetReadFn(IntPtr stream, ReadFn fn);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void SetSkipFn(IntPtr stream, SkipFn fn);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void SetSeekFn(IntPtr stream, SeekFn fn);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void SetUserDataFn(IntPtr stream, IntPtr data, IntPtr free);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void SetUserDataLengthFn(IntPtr stream, ulong length);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int ReadHeaderFn(IntPtr stream, IntPtr codec, out IntPtr image);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int DecodeFn(IntPtr codec, IntPtr stream, IntPtr image);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int EndFn(IntPtr codec, IntPtr stream);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void DestroyFn(IntPtr handle);

        // The callbacks OpenJPEG calls back into, kept alive for the process.
        public static readonly ReadFn Read = (buffer, count, user) =>
        {
            var state = (StreamState)GCHandle.FromIntPtr(user).Target!;
            long left = state.Data.LongLength - state.Position;
            if (left <= 0)
                return unchecked((nuint)(-1)); // (OPJ_SIZE_T)-1: the end of the stream
            int n = (int)Math.Min((long)Math.Min(count, int.MaxValue), left);
            Marshal.Copy(state.Data, (int)state.Position, buffer, n);
            state.Position += n;
            return (nuint)n;
        };

        public static readonly SkipFn Skip = (count, user) =>
        {
            var state = (StreamState)GCHandle.FromIntPtr(user).Target!;
            long target = Math.Clamp(state.Position + count, 0, state.Data.LongLength);
            long skipped = target - state.Position;
            state.Position = target;
            return skipped;
        };

        public static readonly SeekFn Seek = (position, user) =>
        {
            var state = (StreamState)GCHandle.FromIntPtr(user).Target!;
            if (position < 0 || position > state.Data.LongLength)
                return 0;
            state.Position = position;
            return 1;
        };

        public static readonly MessageFn Collect = (message, user) =>
        {
            if (user != IntPtr.Zero && GCHandle.FromIntPtr(user).Target is List<string> list && list.Count < 8)
                list.Add(Marshal.PtrToStringAnsi(message) ?? "");
        };

        public static readonly MessageFn Ignore = (_, _) => { };

        public required string VersionText { get; init; }
        public required CreateDecompressFn CreateDecompress { get; init; }
        public required SetHandlerFn SetErrorHandler { get; init; }
        public required SetHandlerFn SetWarningHandler { get; init; }
        public required ParametersFn SetDefaultDecoderParameters { get; init; }
        public required SetupFn SetupDecoder { get; init; }
        public StrictFn? SetStrictMode { get; init; }
        public required StreamCreateFn StreamCreate { get; init; }
        public required SetReadFn StreamSetReadFunction { get; init; }
        public required SetSkipFn StreamSetSkipFunction { get; init; }
        public required SetSeekFn StreamSetSeekFunction { get; init; }
        public required SetUserDataFn StreamSetUserData { get; init; }
        public required SetUserDataLengthFn StreamSetUserDataLength { get; init; }
        public required ReadHeaderFn ReadHeader { get; init; }
        public required DecodeFn Decode { get; init; }
        public required EndFn EndDecompress { get; init; }
        public required DestroyFn ImageDestroy { get; init; }
        public required DestroyFn StreamDestroy { get; init; }
        public required DestroyFn DestroyCodec { get; init; }

        // The names the library has on each system, after the path the environment gives.
        private static IEnumerable<string> Candidates()
        {
            if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path)
                yield return path;
            if (OperatingSystem.IsWindows())
            {
                yield return "openjp2.dll";
                yield return "libopenjp2.dll";
            }
            else if (OperatingSystem.IsMacOS())
            {
                yield return "libopenjp2.7.dylib";
                yield return "libopenjp2.dylib";
                yield return "/opt/homebrew/lib/libopenjp2.dylib";
                yield return "/usr/local/lib/libopenjp2.dylib";
            }
            else
            {
                yield return "libopenjp2.so.7";
                yield return "libopenjp2.so";
            }
        }

        public static Api? TryLoad()
        {
            foreach (var name in Candidates())
            {
                if (
                    !NativeLibrary.TryLoad(
                        name,
                        typeof(OpenJpeg).Assembly,
                        DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory,
                        out var library
                    ) && !NativeLibrary.TryLoad(name, out library)
                )
                    continue;
                T Bind<T>(string symbol)
                    where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, symbol));
                try
                {
                    var version = Marshal.PtrToStringAnsi(Bind<VersionFn>("opj_version")()) ?? "";
                    if (!version.StartsWith("2.", StringComparison.Ordinal))
                        continue;
                    return new Api
                    {
                        VersionText = version,
                        CreateDecompress = Bind<CreateDecompressFn>("opj_create_decompress"),
                        SetErrorHandler = Bind<SetHandlerFn>("opj_set_error_handler"),
                        SetWarningHandler = Bind<SetHandlerFn>("opj_set_warning_handler"),
                        SetDefaultDecoderParameters = Bind<ParametersFn>("opj_set_default_decoder_parameters"),
                        SetupDecoder = Bind<SetupFn>("opj_setup_decoder"),
                        // OpenJPEG 2.5 and later; earlier versions are strict about truncation only in part.
                        SetStrictMode = NativeLibrary.TryGetExport(library, "opj_decoder_set_strict_mode", out var strict)
                            ? Marshal.GetDelegateForFunctionPointer<StrictFn>(strict)
                            : null,
                        StreamCreate = Bind<StreamCreateFn>("opj_stream_create"),
                        StreamSetReadFunction = Bind<SetReadFn>("opj_stream_set_read_function"),
                        StreamSetSkipFunction = Bind<SetSkipFn>("opj_stream_set_skip_function"),
                        StreamSetSeekFunction = Bind<SetSeekFn>("opj_stream_set_seek_function"),
                        StreamSetUserData = Bind<SetUserDataFn>("opj_stream_set_user_data"),
                        StreamSetUserDataLength = Bind<SetUserDataLengthFn>("opj_stream_set_user_data_length"),
                        ReadHeader = Bind<ReadHeaderFn>("opj_read_header"),
                        Decode = Bind<DecodeFn>("opj_decode"),
                        EndDecompress = Bind<EndFn>("opj_end_decompress"),
                        ImageDestroy = Bind<DestroyFn>("opj_image_destroy"),
                        StreamDestroy = Bind<DestroyFn>("opj_stream_destroy"),
                        DestroyCodec = Bind<DestroyFn>("opj_destroy_codec"),
                    };
                }
                catch (EntryPointNotFoundException)
                {
                    continue; // not OpenJPEG 2.x's interface
                }
            }
            return null;
        }
    }
}
