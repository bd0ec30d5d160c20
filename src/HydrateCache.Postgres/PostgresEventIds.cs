namespace HydrateCache.Postgres;

/// <summary>The event ids of the PostgreSQL transport's log messages (the 7xxx range of <see cref="HydrateEventId"/>).</summary>
internal static class PostgresEventIds
{
    public const int ListenerConnected = 7001;
    public const int ListenerDisconnected = 7002;
    public const int ListenerReconnected = 7003;
    public const int ListenerConnectFailed = 7004;
    public const int ListenerClosed = 7005;
    public const int HandlerFailed = 7006;
    public const int MessagesDropped = 7007;
    public const int NotificationRejected = 7008;
    public const int LargePayloadMissing = 7009;
    public const int LargePayloadFetchFailed = 7010;
    public const int PayloadTableCreated = 7011;
    public const int PayloadCleanupFailed = 7012;
    public const int PayloadCleanupCompleted = 7013;
    public const int ConnectionChangedHandlerFailed = 7014;
    public const int PublishRetried = 7015;
    public const int Subscribed = 7016;
    public const int Unsubscribed = 7017;
}
