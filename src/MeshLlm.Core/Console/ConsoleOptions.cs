namespace MeshLlm.Console;

/// <summary>The local console (configuration section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>The default console port.</summary>
    public const int DefaultPort = 3131;

    /// <summary>Port of the console on 127.0.0.1 (<c>--console</c>); 0 picks a free one. Default 3131.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>False turns the console off (<c>--no-console</c>). Default true.</summary>
    public bool Enabled { get; set; } = true;
}
