namespace HydrateCache.TestKit;

/// <summary>Which topic of a channel a <see cref="HostileFrame"/> is aimed at.</summary>
public enum HostileTopic
{
    /// <summary>The channel's topic, where update frames travel.</summary>
    Data,

    /// <summary>The channel's control topic (the topic followed by <c>.control</c>), where loss recovery talks.</summary>
    Control,
}
