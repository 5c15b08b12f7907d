using System.Text;
using AkkaChat.Client.Encryption;

namespace AkkaChat.Client.Tests.Encryption;

/// <summary>The primitives the ratchet is built on, against the vectors their RFCs publish.</summary>
public sealed class TestVectorTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static byte[] Range(int from, int count) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();

    [Fact]
    public void Hkdf_sha256_matches_rfc5869_test_case_1()
    {
        var okm = Primitives.Hkdf(Enumerable.Repeat((byte)0x0b, 22).ToArray(), Hex("000102030405060708090a0b0c"), Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Convert.ToHexStringLower(okm));
    }

    [Fact]
    public void Hkdf_sha256_matches_rfc5869_test_case_2_with_long_inputs()
    {
        var okm = Primitives.Hkdf(Range(0x00, 80), Range(0x60, 80), Range(0xb0, 80), 82);
        Assert.Equal(
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
            Convert.ToHexStringLower(okm));
    }

    [Fact]
    public void Hkdf_sha256_matches_rfc5869_test_case_3_with_empty_salt_and_info()
    {
        var okm = Primitives.Hkdf(Enumerable.Repeat((byte)0x0b, 22).ToArray(), [], [], 42);
        Assert.Equal("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", Convert.ToHexStringLower(okm));
    }

    [Fact]
    public void Hmac_sha256_of_the_chain_kdf_matches_rfc4231_test_case_1()
    {
        var mac = Primitives.HmacSha256(Enumerable.Repeat((byte)0x0b, 20).ToArray(), "Hi There"u8);
        Assert.Equal("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", Convert.ToHexStringLower(mac));
    }

    [Theory]
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void X25519_matches_the_rfc7748_scalar_multiplication_vectors(string scalar, string u, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(Primitives.Dh(Hex(scalar), Hex(u))));

    [Fact]
    public void X25519_key_agreement_matches_rfc7748_section_6_1()
    {
        var alicePrivate = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        var bobPrivate = Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        var alicePublic = Primitives.DhPublicFromPrivate(alicePrivate);
        var bobPublic = Primitives.DhPublicFromPrivate(bobPrivate);

        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Convert.ToHexStringLower(alicePublic));
        Assert.Equal("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Convert.ToHexStringLower(bobPublic));
        const string shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        Assert.Equal(shared, Convert.ToHexStringLower(Primitives.Dh(alicePrivate, bobPublic)));
        Assert.Equal(shared, Convert.ToHexStringLower(Primitives.Dh(bobPrivate, alicePublic)));
    }

    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    public void Ed25519_matches_the_rfc8032_test_vectors(string seed, string publicKey, string message, string signature)
    {
        Assert.Equal(publicKey, Convert.ToHexStringLower(Primitives.SigningPublicFromSeed(Hex(seed))));
        Assert.Equal(signature, Convert.ToHexStringLower(Primitives.Sign(Hex(seed), Hex(message))));
        Assert.True(Primitives.Verify(Hex(publicKey), Hex(message), Hex(signature)));
        Assert.False(Primitives.Verify(Hex(publicKey), [.. Hex(message), 0x00], Hex(signature)));
    }

    [Fact]
    public void ChaCha20_poly1305_matches_rfc8439_section_2_8_2()
    {
        var key = Range(0x80, 32);
        var nonce = Hex("070000004041424344454647");
        var aad = Hex("50515253c0c1c2c3c4c5c6c7");
        var plaintext = Encoding.ASCII.GetBytes(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
        const string expected =
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
            + "1ae10b594f09e26a7e902ecbd0600691";

        var sealedMessage = Primitives.Seal(key, nonce, aad, plaintext);

        Assert.Equal(expected, Convert.ToHexStringLower(sealedMessage));
        Assert.Equal(plaintext, Primitives.Open(key, nonce, aad, sealedMessage));
        Assert.Null(Primitives.Open(key, nonce, [.. aad, 0x00], sealedMessage));
    }
}
