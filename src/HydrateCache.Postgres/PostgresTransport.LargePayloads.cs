using Npgsql;
using NpgsqlTypes;

namespace HydrateCache.Postgres;

/// <summary>Messages too large for a NOTIFY payload: stored in the payload table, referenced by row id, deleted after the retention.</summary>
public sealed partial class PostgresTransport
{
    /// <summary>How many large messages one transport reads from the payload table at the same time.</summary>
    private const int MaxConcurrentFetches = 4;

    private readonly string _insertAndNotifySql;
    private readonly string _selectSql;
    private readonly string _deleteExpiredSql;
    private readonly string _createTableSql;
    private readonly SemaphoreSlim _tableGate = new(1, 1);
    private readonly SemaphoreSlim _fetchGate = new(MaxConcurrentFetches, MaxConcurrentFetches);
    private volatile bool _tableReady;
    private int _cleanupStarted;
    private Task? _cleanupTask;

    /// <summary>Gets how often expired rows are deleted: half the retention, between 1 second and 1 minute.</summary>
    internal TimeSpan CleanupPeriod => TimeSpan.FromTicks(Math.Clamp(_retention.Ticks / 2, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    /// <summary>Stores the frame and notifies its row id in one statement (one transaction): receivers find the row when the notification arrives.</summary>
    private async Task PublishLargeAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var command = _dataSource.CreateCommand(_insertAndNotifySql);
                await using (command.ConfigureAwait(false))
                {
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
                    command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = message, NpgsqlDbType = NpgsqlDbType.Bytea });
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                break;
            }
            catch (PostgresException ex) when (attempt == 1 && ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // Dropped since this transport created it: create it again.
                _tableReady = false;
            }
        }

        if (Interlocked.Exchange(ref _cleanupStarted, 1) == 0)
        {
            _cleanupTask = StartBackground(CleanupLoopAsync);
        }
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableReady)
        {
            return;
        }

        await _tableGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_tableReady)
            {
                return;
            }

            try
            {
                var command = _dataSource.CreateCommand(_createTableSql);
                await using (command.ConfigureAwait(false))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject)
            {
                // Another session created it at the same moment (CREATE TABLE IF NOT EXISTS is not race-free).
            }

            _tableReady = true;
            Logger.PayloadTableCreated(PayloadTable);
        }
        finally
        {
            _tableGate.Release();
        }
    }

    /// <summary>
    /// Reads a large message's frame, in a subscription's delivery path (so the listening connection never waits and the
    /// subscription's order is kept). At most <see cref="MaxConcurrentFetches"/> reads run at once per transport.
    /// </summary>
    /// <returns>The frame, or <see langword="null"/> (logged) when the row is gone or unreadable. Throws only when <paramref name="token"/> is cancelled.</returns>
    internal async Task<byte[]?> FetchLargePayloadAsync(string channel, long rowId, CancellationToken token)
    {
        try
        {
            await _fetchGate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        var command = _dataSource.CreateCommand(_selectSql);
                        await using (command.ConfigureAwait(false))
                        {
                            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rowId });
                            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
                            if (await command.ExecuteScalarAsync(token).ConfigureAwait(false) is byte[] body)
                            {
                                return body;
                            }
                        }

                        Logger.LargePayloadMissing(rowId, channel, PayloadTable, _retention);
                        return null;
                    }
                    catch (NpgsqlException ex) when (attempt == 1 && ex.IsTransient && !token.IsCancellationRequested)
                    {
                        // A broken pooled connection (the server restarted): Npgsql cleared the pool, try once more.
                    }
                }
            }
            finally
            {
                _fetchGate.Release();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            Logger.LargePayloadFetchFailed(ex, rowId, channel, PayloadTable);
            return null;
        }
    }

    private async Task CleanupLoopAsync()
    {
        var token = _disposing.Token;
        using var timer = new PeriodicTimer(CleanupPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                await DeleteExpiredPayloadsAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes the rows older than the retention (written by any process). Failures are logged and retried on the next tick.</summary>
    internal async Task DeleteExpiredPayloadsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var command = _dataSource.CreateCommand(_deleteExpiredSql);
            await using (command.ConfigureAwait(false))
            {
                command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _retention, NpgsqlDbType = NpgsqlDbType.Interval });
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                Logger.PayloadCleanupCompleted(deleted, PayloadTable);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Logger.PayloadCleanupFailed(ex, PayloadTable);
        }
    }
}
