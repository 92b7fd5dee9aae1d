using MeshLlm.Bench;

var scenario = args.FirstOrDefault() ?? "solo";
var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(5);
var model = args.SkipWhile(a => a != "--model").Skip(1).FirstOrDefault();
var threads = args.SkipWhile(a => a != "--threads").Skip(1).Select(int.Parse).FirstOrDefault(Environment.ProcessorCount);
switch (scenario)
{
    case "solo":
        await SoloScenario.RunAsync(rounds, threads, model, CancellationToken.None);
        return 0;
    default:
        await global::System.Console.Error.WriteLineAsync($"Unknown scenario '{scenario}'. Scenarios: solo. Options: --rounds N (default 5), --threads N (default: all cores), --model PATH (default: the generated bench model).");
        return 1;
}
