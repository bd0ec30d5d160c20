using System.Security.Cryptography;
using System.Text;

namespace HydrateCache.TestKit;

/// <summary>
/// Deterministic keys for signing and encryption tests, and the ways their material could leak into text (hex, base64),
/// so a test can assert that none of them appears in logs, exceptions or option dumps.
/// </summary>
public static class SecurityTestKeys
{
    /// <summary>Creates key material of <paramref name="length"/> bytes derived from <paramref name="label"/>.</summary>
    public static byte[] Material(string label, int length = 32)
    {
        var material = new byte[length];
        var block = SHA512.HashData(Encoding.UTF8.GetBytes(label));
        for (var i = 0; i < length; i++)
        {
            material[i] = block[i % block.Length];
        }

        return material;
    }

    /// <summary>Creates a signing key (32 bytes) whose material is derived from its id.</summary>
    public static HydrateKey Signing(string id) => new(id, Material("sign:" + id));

    /// <summary>Creates an AES-256 encryption key whose material is derived from its id.</summary>
    public static HydrateKey Encryption(string id) => new(id, Material("encrypt:" + id));

    /// <summary>Configures <paramref name="options"/> to sign with <paramref name="signingKeyId"/> and, when given, encrypt with <paramref name="encryptionKeyId"/>.</summary>
    public static HydrateChannelOptions<T> Secure<T>(HydrateChannelOptions<T> options, string signingKeyId = "s1", string? encryptionKeyId = "e1")
    {
        options.Security.SigningKeys.Add(Signing(signingKeyId));
        if (encryptionKeyId is not null)
        {
            options.Security.EncryptionKeys.Add(Encryption(encryptionKeyId));
        }

        return options;
    }

    /// <summary>Gets every text form of the material of the keys <see cref="Signing"/> and <see cref="Encryption"/> make for <paramref name="ids"/>.</summary>
    public static IReadOnlyList<string> LeakForms(params string[] ids)
    {
        var forms = new List<string>();
        foreach (var id in ids)
        {
            foreach (var material in new[] { Material("sign:" + id), Material("encrypt:" + id) })
            {
                forms.Add(Convert.ToHexString(material));
                forms.Add(Convert.ToHexStringLower(material));
                forms.Add(Convert.ToBase64String(material));

                // A dump of part of the key is a leak too: any 8-byte window, in either case of hex.
                forms.Add(Convert.ToHexStringLower(material.AsSpan(0, 8)));
                forms.Add(Convert.ToBase64String(material.AsSpan(0, 12)));
            }
        }

        return forms;
    }

    /// <summary>Asserts that <paramref name="text"/> contains no form of the material of the keys of <paramref name="ids"/>.</summary>
    public static void AssertNoLeak(string text, params string[] ids)
    {
        foreach (var form in LeakForms(ids))
        {
            Assert.DoesNotContain(form, text, StringComparison.OrdinalIgnoreCase);
        }
    }
}
