using MeshLlm.Bench;

var scenario = args.FirstOrDefault() ?? "solo";
var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(scenario == "gossip" ? 3 : 5);
// split: two rpc-servers share this machine's cores, as if each had its own machine's share.
var threads = args.SkipWhile(a => a != "--threads").Skip(1).Select(int.Parse)
    .FirstOrDefault(scenario == "split" ? Math.Max(1, Environment.ProcessorCount / 2) : Environment.ProcessorCount);
var f16 = args.SkipWhile(a => a != "--type").Skip(1).FirstOrDefault() == "f16";
var model = args.SkipWhile(a => a != "--model").Skip(1).FirstOrDefault();
var nodes = args.SkipWhile(a => a != "--nodes").Skip(1).Select(v => v.Split(',').Select(int.Parse).ToArray()).FirstOrDefault();
var joinGap = args.SkipWhile(a => a != "--join-gap").Skip(1).Select(int.Parse).FirstOrDefault(0);
var binDir = Environment.GetEnvironmentVariable("MESH_LLM_BIN_DIR");
if (scenario is not ("solo" or "mesh" or "llamacpp" or "split" or "gossip" or "channel"))
{
    await Console.Error.WriteLineAsync($"""
        Unknown scenario '{scenario}'. Usage: dotnet run -c Release --project bench/MeshLlm.Bench -- SCENARIO [options]
        Scenarios:
          solo       embedded engine: through :9337 vs the engine directly, prompt processing, 1 vs 4 streams
          mesh       two nodes: the engine directly vs through its node's :9337 vs through another node's :9337
                     (HTTP tunnel over the mesh); decode tok/s and TTFT with ratios
          llamacpp   llama-server through :9337 vs directly, and embedded engine vs llama-server at the same
                     threads (needs MESH_LLM_BIN_DIR: the folder `sudo scripts/llama-rig` prints last)
          split      the bench model over two rpc-servers: llama-server with --rpc direct vs through a mesh RPC
                     tunnel; decode tok/s, TTFT and load time (needs MESH_LLM_BIN_DIR)
          gossip     5, 10, 20 and 40 in-process mesh nodes on loopback: time until everyone lists everyone (star
                     and chain joins), time for a state change to reach all, bytes per node (--rounds default 3)
          channel    loopback throughput and round-trip latency: raw TCP vs plain TLS 1.3 vs a mesh channel
        Options: --rounds N (default 5; gossip 3), --threads N (default: all cores; split: half, per rpc-server), --model PATH (default: the generated
          bench model), --type q8_0|f16 (type of the generated bench model, default q8_0), --nodes 5,10,20,40
          (gossip: the mesh sizes), --join-gap MS (gossip: start joiners MS apart instead of all at once).
        """);
    return 1;
}

if (scenario is "llamacpp" or "split" && binDir is not { Length: > 0 })
{
    await Console.Error.WriteLineAsync($"{scenario}: MESH_LLM_BIN_DIR is not set; run `sudo scripts/llama-rig` and set MESH_LLM_BIN_DIR to the folder it prints last.");
    return 1;
}

// Other work on this small VM skews every number: show how busy it was.
Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at start: {Stats.LoadAverage()}");
Console.WriteLine();
if (scenario is "gossip" or "channel")
{
    await (scenario == "gossip" ? GossipScenario.RunAsync(rounds, nodes, joinGap, CancellationToken.None) : ChannelScenario.RunAsync(rounds, CancellationToken.None));
    Console.WriteLine($"load average at end: {Stats.LoadAverage()}");
    return 0;
}

model ??= BenchModel.Path(f16);
await (scenario switch
{
    "solo" => SoloScenario.RunAsync(rounds, threads, model, CancellationToken.None),
    "mesh" => MeshScenario.RunAsync(rounds, threads, model, CancellationToken.None),
    "split" => SplitScenario.RunAsync(rounds, threads, model, binDir!, CancellationToken.None),
    _ => LlamaCppScenario.RunAsync(rounds, threads, model, binDir!, CancellationToken.None),
});
Console.WriteLine($"load average at end: {Stats.LoadAverage()}; probes retried after a failure: {StreamProbe.Retries}");
return 0;
