using AkkaChat.Node.Contacts;

namespace AkkaChat.Node.Tests.Contacts;

public sealed class AddressBookTests
{
    private const string Me = "+447700900123";

    [Fact]
    public void Invalid_numbers_are_skipped_and_counted()
    {
        var book = AddressBook.FromSync(Me, ["+14155550100", "0800 123", "", "+1", "+14155550101"], out var skipped);

        Assert.Equal(["+14155550100", "+14155550101"], book);
        Assert.Equal(3, skipped);
    }

    [Fact]
    public void Each_number_is_kept_once_in_the_order_first_sent_without_the_owner()
    {
        var book = AddressBook.FromSync(Me, ["+14155550101", Me, "+14155550100", "+14155550101"], out var skipped);

        Assert.Equal(["+14155550101", "+14155550100"], book);
        Assert.Equal(0, skipped);
    }
}
