namespace HydrateCache.Postgres;

/// <summary>The event ids of the PostgreSQL transport's log messages (the 7xxx range of <see cref="HydrateEventId"/>).</summary>
internal static class PostgresEventIds
{
    public const int ListenerConnected = HydrateEventId.PostgresListenerConnected;
    public const int ListenerDisconnected = HydrateEventId.PostgresListenerDisconnected;
    public const int ListenerReconnected = HydrateEventId.PostgresListenerReconnected;
    public const int ListenerConnectFailed = HydrateEventId.PostgresListenerConnectFailed;
    public const int ListenerClosed = HydrateEventId.PostgresListenerClosed;
    public const int HandlerFailed = HydrateEventId.PostgresHandlerFailed;
    public const int MessagesDropped = HydrateEventId.PostgresMessagesDropped;
    public const int NotificationRejected = HydrateEventId.PostgresNotificationRejected;
    public const int LargePayloadMissing = HydrateEventId.PostgresLargePayloadMissing;
    public const int LargePayloadFetchFailed = HydrateEventId.PostgresLargePayloadFetchFailed;
    public const int PayloadTableCreated = HydrateEventId.PostgresPayloadTableCreated;
    public const int PayloadCleanupFailed = HydrateEventId.PostgresPayloadCleanupFailed;
    public const int PayloadCleanupCompleted = HydrateEventId.PostgresPayloadCleanupCompleted;
    public const int ConnectionChangedHandlerFailed = HydrateEventId.PostgresConnectionChangedHandlerFailed;
    public const int PublishRetried = HydrateEventId.PostgresPublishRetried;
    public const int Subscribed = HydrateEventId.PostgresSubscribed;
    public const int Unsubscribed = HydrateEventId.PostgresUnsubscribed;
}
