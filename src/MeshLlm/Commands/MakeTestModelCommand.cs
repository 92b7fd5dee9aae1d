using System.CommandLine;
using MeshLlm.Hosting;
using MeshLlm.Models.Gguf;

namespace MeshLlm.Commands;

/// <summary>Developer command: writes a generated test model, so anyone can try mesh-llm without a download.</summary>
internal static class MakeTestModelCommand
{
    private static readonly Argument<string> s_output = new("OUT")
    {
        Description = "File to write, e.g. tiny.gguf. Its name (without .gguf) is the model's name in the API.",
    };

    private static readonly Option<string> s_size = new("--size")
    {
        Description = "tiny: 0.5 MB, generates instantly; bench: ~151 MB (q8_0) for performance work.",
        DefaultValueFactory = _ => "tiny",
    };

    private static readonly Option<string?> s_type = new("--type")
    {
        Description = "Weight type: f32, f16 or q8_0 [default: f32 for tiny, q8_0 for bench].",
    };

    private static readonly Option<ulong?> s_seed = new("--seed") { Description = "Seed of the random weights." };

    private static readonly Option<bool> s_allowEos = new("--allow-eos")
    {
        Description = "Let the model end its answers by itself (by default it always runs to max_tokens).",
    };

    private static readonly Option<bool> s_force = new("--force") { Description = "Overwrite OUT if it exists." };

    public static Command Create()
    {
        var command = new Command("make-test-model",
            "[developer] Write a generated GGUF test model: random weights, always printable text, loads in both engines.");
        s_size.AcceptOnlyFromAmong("tiny", "bench");
        s_type.AcceptOnlyFromAmong("f32", "f16", "q8_0");
        command.Arguments.Add(s_output);
        command.Options.Add(s_size);
        command.Options.Add(s_type);
        command.Options.Add(s_seed);
        command.Options.Add(s_allowEos);
        command.Options.Add(s_force);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult result)
    {
        var ui = new TerminalConsoleUi();
        var output = Path.GetFullPath(result.GetValue(s_output)!);
        if (File.Exists(output) && !result.GetValue(s_force))
        {
            ui.Error($"'{output}' already exists. Choose another name or pass --force to overwrite it.");
            return ExitCodes.Usage;
        }

        var options = result.GetValue(s_size) == "bench" ? TestModelOptions.Bench : TestModelOptions.Tiny;
        options = options with
        {
            Name = Models.ModelName.FromPath(output),
            Seed = result.GetValue(s_seed) ?? options.Seed,
            AllowEos = result.GetValue(s_allowEos),
            TensorType = result.GetValue(s_type) switch
            {
                "f32" => GgmlType.F32,
                "f16" => GgmlType.F16,
                "q8_0" => GgmlType.Q8_0,
                _ => options.TensorType,
            },
        };
        var start = TimeProvider.System.GetTimestamp();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        TestModelGenerator.Write(output, options);
        var elapsed = TimeProvider.System.GetElapsedTime(start);
        ui.Info($"Wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, {options.TensorType}) in {elapsed.TotalSeconds:F1} s.");
        ui.Info($"Serve it: mesh-llm --model {output}");
        return ExitCodes.Ok;
    }
}
