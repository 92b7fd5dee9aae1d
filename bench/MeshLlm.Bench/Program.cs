using MeshLlm.Bench;

var scenario = args.FirstOrDefault() ?? "solo";
var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(5);
switch (scenario)
{
    case "solo":
        await SoloScenario.RunAsync(rounds, CancellationToken.None);
        return 0;
    default:
        await global::System.Console.Error.WriteLineAsync($"Unknown scenario '{scenario}'. Scenarios: solo. Options: --rounds N (default 5).");
        return 1;
}
