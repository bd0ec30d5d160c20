using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace HydrateCache;

// Payload encryption (wire format v1, described in docs/wire-format.md, "Payload encryption").
//
//   item [9]         = AES-GCM ciphertext of the codec's payload bytes || 16-byte tag
//   item [10] key 3  = [ tstr key id, bstr(12) nonce ]  (a random nonce per frame)
//   associated data  = "hydratecache-payload-v1" || uint32 BE length || topic (UTF-8)
//                      || uint32 BE length || key (UTF-8) || uint64 BE version physical || uint32 BE version counter
//                      || sender id (16 bytes, big-endian UUID)
//
// The associated data binds the ciphertext to its channel, key, version and sender: moved into another frame, it no
// longer decrypts. Item [8] stays the codec id of the plaintext. Deletes carry no payload and are not encrypted.

/// <summary>Encrypts and decrypts payloads with AES-GCM bound to their frame's context.</summary>
internal static class PayloadCipher
{
    public const int NonceLength = 12;
    public const int TagLength = 16;

    private const int StackLimit = 512;

    private static ReadOnlySpan<byte> Label => "hydratecache-payload-v1"u8;

    /// <summary>Whether <paramref name="length"/> is an AES key length.</summary>
    public static bool IsValidKeyLength(int length) => length is 16 or 24 or 32;

    /// <summary>Creates the part of the associated data that is the same for every frame of a topic: the label and the topic.</summary>
    public static byte[] CreateContext(string topic) => SecurityLabel.Bind(Label, topic);

    /// <summary>Encrypts <paramref name="plaintext"/> into ciphertext followed by the tag, with a new random nonce written to <paramref name="nonce"/>.</summary>
    public static byte[] Encrypt(HydrateKey key, ReadOnlySpan<byte> context, string entryKey, HybridTimestamp version, Guid sender, ReadOnlySpan<byte> plaintext, Span<byte> nonce)
    {
        RandomNumberGenerator.Fill(nonce);
        var sealedPayload = new byte[plaintext.Length + TagLength];
        var length = AssociatedDataLength(context, entryKey);
        byte[]? rented = null;
        var associated = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            associated = WriteAssociatedData(associated, context, entryKey, version, sender);
            var aes = key.RentAesGcm(TagLength, out var slot);
            aes.Encrypt(nonce, plaintext, sealedPayload.AsSpan(0, plaintext.Length), sealedPayload.AsSpan(plaintext.Length), associated);
            key.ReturnAesGcm(slot, aes);
            return sealedPayload;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Decrypts ciphertext followed by its tag into <paramref name="plaintext"/> (as long as the ciphertext); false, with
    /// <paramref name="plaintext"/> cleared, when it does not authenticate.
    /// </summary>
    public static bool TryDecrypt(HydrateKey key, ReadOnlySpan<byte> context, string entryKey, HybridTimestamp version, Guid sender, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedPayload, Span<byte> plaintext)
    {
        if (nonce.Length != NonceLength || sealedPayload.Length < TagLength || plaintext.Length != sealedPayload.Length - TagLength)
        {
            return false;
        }

        var length = AssociatedDataLength(context, entryKey);
        byte[]? rented = null;
        var associated = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            associated = WriteAssociatedData(associated, context, entryKey, version, sender);
            var aes = key.RentAesGcm(TagLength, out var slot);
            var cipherLength = plaintext.Length;
            var authentic = true;
            try
            {
                aes.Decrypt(nonce, sealedPayload[..cipherLength], sealedPayload[cipherLength..], plaintext, associated);
            }
            catch (AuthenticationTagMismatchException)
            {
                plaintext.Clear();
                authentic = false;
            }

            key.ReturnAesGcm(slot, aes);
            return authentic;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int AssociatedDataLength(ReadOnlySpan<byte> context, string entryKey) =>
        context.Length + 4 + Encoding.UTF8.GetByteCount(entryKey) + 8 + 4 + 16;

    private static Span<byte> WriteAssociatedData(Span<byte> buffer, ReadOnlySpan<byte> context, string entryKey, HybridTimestamp version, Guid sender)
    {
        context.CopyTo(buffer);
        var at = context.Length;
        var keyLength = Encoding.UTF8.GetBytes(entryKey, buffer[(at + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[at..], (uint)keyLength);
        at += 4 + keyLength;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[at..], (ulong)version.PhysicalTime);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(at + 8)..], version.Counter);
        sender.TryWriteBytes(buffer[(at + 12)..], bigEndian: true, out _);
        return buffer[..(at + 28)];
    }
}
