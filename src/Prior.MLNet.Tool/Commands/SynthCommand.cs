using System.CommandLine;
using Prior.MLNet.Synthetic;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior synth</c>: writes synthetic MIMIC-CXR-JPG, MIMIC-CXR reports and CheXpert in their real layouts.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Folder that receives mimic-cxr-jpg/, mimic-cxr-reports/ and CheXpert-v1.0-small/.",
            Required = true,
        };
        var studies = new Option<int>("--studies")
        {
            Description = "MIMIC-CXR studies.",
            DefaultValueFactory = _ => SyntheticDatasetOptions.Defaults.Studies,
        };
        var chexpert = new Option<int>("--chexpert-images")
        {
            Description = "CheXpert images (train + valid).",
            DefaultValueFactory = _ => SyntheticDatasetOptions.Defaults.CheXpertImages,
        };
        var size = new Option<int>("--image-size")
        {
            Description = "Image height and width in pixels.",
            DefaultValueFactory = _ => SyntheticDatasetOptions.Defaults.ImageSize,
        };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed; the same seed writes the same bytes.",
            DefaultValueFactory = _ => SyntheticDatasetOptions.Defaults.Seed,
        };
        var defects = new Option<double>("--defect-rate")
        {
            Description = "Share of deliberately defective studies and rows (0 for a clean set).",
            DefaultValueFactory = _ => SyntheticDatasetOptions.Defaults.DefectRate,
        };
        var downstream = new Option<int>("--downstream-images")
        {
            Description =
                "Also write RSNA Pneumonia (rsna-pneumonia/) and SIIM-ACR Pneumothorax (siim-acr-pneumothorax/) with this many images "
                + "each; 0 (default) for none.",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command(
            "synth",
            "Write deterministic synthetic MIMIC-CXR(-JPG) and CheXpert datasets in their real on-disk layouts (example: prior synth "
                + "--out data --studies 2000)."
        )
        {
            output,
            studies,
            chexpert,
            size,
            seed,
            defects,
            downstream,
        };
        command.SetAction(parse => CommandRunner.Run("synth", () =>
            {
                var manifest = LiveProgress.Run("synth", "files", 0, live => SyntheticDatasetGenerator.Generate(
                        new SyntheticDatasetOptions
                        {
                            OutputDirectory = parse.GetValue(output)!,
                            Studies = parse.GetValue(studies),
                            CheXpertImages = parse.GetValue(chexpert),
                            ImageSize = parse.GetValue(size),
                            Seed = parse.GetValue(seed),
                            DefectRate = parse.GetValue(defects),
                        },
                        live.Messages()
                    ));
                Console.WriteLine(
                    $"MIMIC-CXR: {manifest.MimicStudies} studies ({manifest.MimicUsableStudies} usable for pretraining), "
                        + $"{manifest.MimicImageRows} image rows"
                );
                Console.WriteLine($"  planted: {string.Join(", ", manifest.MimicSkips.Select(kv => $"{kv.Key} {kv.Value}"))}");
                Console.WriteLine($"CheXpert: {manifest.CheXpertTrainRows} train rows, {manifest.CheXpertValidRows} valid rows");
                Console.WriteLine(
                    $"  single-positive frontal: "
                        + $"{string.Join(", ", manifest.CheXpertSinglePositiveFrontal.Select(kv => $"{kv.Key} {kv.Value}"))}"
                );
                if (parse.GetValue(downstream) is > 0 and var count)
                {
                    var written = SyntheticDownstreamGenerator.Generate(
                        parse.GetValue(output)!,
                        count,
                        parse.GetValue(size),
                        parse.GetValue(seed)
                    );
                    Console.WriteLine(
                        $"RSNA Pneumonia: {count} images, {written.RsnaPositives} with consolidation boxes -> {written.RsnaRoot}"
                    );
                    Console.WriteLine(
                        $"SIIM-ACR Pneumothorax: {count} images, {written.SiimPositives} with pneumothorax masks -> {written.SiimRoot}"
                    );
                }
                Console.WriteLine($"written to {Path.GetFullPath(parse.GetValue(output)!)}");
                return 0;
            }));
        return command;
    }
}
