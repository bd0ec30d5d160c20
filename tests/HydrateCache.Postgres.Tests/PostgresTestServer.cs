using HydrateCache.TestKit;
using Npgsql;

namespace HydrateCache.Postgres.Tests;

/// <summary>The PostgreSQL server of the tests (<c>HYDRATECACHE_POSTGRES</c>, an Npgsql connection string) and data sources for it.</summary>
internal static class PostgresTestServer
{
    /// <summary>Gets the connection string; skips the test locally and fails it on CI when there is no server.</summary>
    public static string RequireConnectionString() => TestServers.RequireEndpoint(TestServers.Postgres);

    /// <summary>Creates a new data source (its own pool, so its own connections). The caller disposes it.</summary>
    public static NpgsqlDataSource CreateDataSource(Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(RequireConnectionString());
        configure?.Invoke(builder);
        return NpgsqlDataSource.Create(builder);
    }

    public static async Task<T?> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var result = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return result is null or DBNull ? default : (T)result;
    }

    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
