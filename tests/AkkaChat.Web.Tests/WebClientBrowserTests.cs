using System.Text.RegularExpressions;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.TestKit;
using Microsoft.Playwright;

namespace AkkaChat.Web.Tests;

/// <summary>
/// The web client served by a real node process, in real Chromium: two browser users register, chat
/// both ways with receipts, send an image and a voice message, and a TCP user joins the same chat.
/// Screenshots go to docs/images/ when AKKACHAT_UPDATE_SCREENSHOTS=1, else to the test output.
/// </summary>
[Trait("Category", "Slow")]
public sealed class WebClientBrowserTests(WebNodeFixture fixture) : IClassFixture<WebNodeFixture>, IAsyncLifetime
{
    private static readonly float Timeout = 20_000;
    private readonly Browser _browser = new();

    public Task InitializeAsync() => _browser.InitializeAsync();

    public Task DisposeAsync() => _browser.DisposeAsync();

    private string BaseUrl => $"http://127.0.0.1:{fixture.Node.WebPort}/";

    [Fact]
    public async Task Two_browser_users_and_a_tcp_user_chat_with_receipts_images_and_voice()
    {
        var (alicePhone, bobPhone, carolPhone) = (TestPhones.New(), TestPhones.New(), TestPhones.New());
        await using var aliceContext = await _browser.Chromium.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 700 } });
        await using var bobContext = await _browser.Chromium.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 700 } });
        var alice = await RegisterAsync(aliceContext, alicePhone);
        var bob = await RegisterAsync(bobContext, bobPhone);

        // Alice opens a chat with Bob and writes; Bob sees it in his list with an unread count.
        await OpenChatAsync(alice, bobPhone);
        await SendTextAsync(alice, "Hi Bob, this is Alice on the web");
        var bobsChat = bob.Locator($"[data-testid=chat-item][data-chat='{alicePhone}']");
        await Expect(bobsChat.GetByTestId("unread")).ToHaveTextAsync("1", new() { Timeout = Timeout });
        await Expect(Last(alice).GetByTestId("ticks")).ToHaveTextAsync("✓✓", new() { Timeout = Timeout }); // delivered: Bob's client ACKed

        // Bob opens it: READ goes back, Alice's ticks turn to read; Bob answers.
        await bobsChat.ClickAsync();
        await Expect(bob.GetByTestId("messages")).ToContainTextAsync("this is Alice on the web", new() { Timeout = Timeout });
        await Expect(bobsChat.GetByTestId("unread")).ToHaveCountAsync(0);
        await Expect(Last(alice)).ToHaveAttributeAsync("data-status", "read", new() { Timeout = Timeout });
        await SendTextAsync(bob, "Hello Alice! Bob here");
        await Expect(alice.GetByTestId("messages")).ToContainTextAsync("Bob here", new() { Timeout = Timeout });
        await Expect(Last(bob)).ToHaveAttributeAsync("data-status", "read", new() { Timeout = Timeout }); // Alice has the chat open

        // An image from Alice: uploaded to /v1/media, displayed by Bob's client.
        await alice.GetByTestId("attach").SetInputFilesAsync(new FilePayload { Name = "photo.png", MimeType = "image/png", Buffer = TestImage.Png(160, 100) });
        var image = bob.GetByTestId("messages").GetByTestId("image").Last;
        await Expect(image).ToBeVisibleAsync(new() { Timeout = Timeout });
        await bob.WaitForFunctionAsync("() => { const i = [...document.querySelectorAll('[data-testid=image]')].pop(); return i && i.complete && i.naturalWidth === 160; }", null, new() { Timeout = Timeout });

        // A voice message recorded in Bob's browser (fake microphone), played back by Alice's client.
        await bob.GetByTestId("record").ClickAsync();
        await Expect(bob.GetByTestId("record")).ToHaveClassAsync(new Regex("recording"));
        await bob.WaitForTimeoutAsync(1200); // the length of the recording, not a wait for a condition
        await bob.GetByTestId("record").ClickAsync();
        var voice = alice.GetByTestId("messages").GetByTestId("voice").Last;
        await Expect(voice).ToHaveAttributeAsync("src", new Regex("^blob:"), new() { Timeout = Timeout });

        // Carol on TCP (the test kit's plain protocol client) writes to Alice and gets her answer.
        await using var carol = await fixture.Node.ConnectAsync();
        await carol.RegisterAsync(carolPhone);
        var carolsAck = await carol.SendTextAsync(alicePhone, "c-1", "Carol here, on the TCP CLI");
        var alicesChatWithCarol = alice.Locator($"[data-testid=chat-item][data-chat='{carolPhone}']");
        await Expect(alicesChatWithCarol.GetByTestId("unread")).ToHaveTextAsync("1", new() { Timeout = Timeout });
        await SaveScreenshotAsync(bob, "web-chat.png");
        await alicesChatWithCarol.ClickAsync();
        await SendTextAsync(alice, "Welcome Carol, greetings from the browser");
        var receipts = new List<Receipt>();
        Deliver? fromAlice = null;
        while (fromAlice is null || receipts.Count(r => r.ServerMsgId == carolsAck.ServerMsgId) < 2)
        {
            var frame = await carol.ReadFrameAsync() ?? throw new InvalidOperationException("the node closed Carol's connection");
            switch (frame.Message)
            {
                case Deliver d:
                    fromAlice = d;
                    await carol.SendAsync(new Ack { UpToSeq = d.Seq });
                    break;
                case Receipt r:
                    receipts.Add(r);
                    await carol.SendAsync(new Ack { UpToSeq = r.Seq });
                    break;
            }
        }

        Assert.Equal((alicePhone, "Welcome Carol, greetings from the browser"), (fromAlice.From, fromAlice.Body.ToStringUtf8()));
        Assert.Equal([(uint)ReceiptStatus.Delivered, (uint)ReceiptStatus.Read], receipts.Where(r => r.ServerMsgId == carolsAck.ServerMsgId).Select(r => r.Status).Order());
        await Expect(Last(alice)).ToHaveAttributeAsync("data-status", "delivered", new() { Timeout = Timeout });
        await SaveScreenshotAsync(alice, "web-chat-tcp-user.png");
    }

    [Fact]
    public async Task The_registration_page_shows_the_code_the_node_reveals()
    {
        await using var context = await _browser.Chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(BaseUrl);
        await page.GetByTestId("phone").FillAsync(TestPhones.New());
        await page.GetByTestId("request-code").ClickAsync();
        await Expect(page.GetByTestId("dev-code")).ToHaveTextAsync(new Regex("^[0-9]{6}$"), new() { Timeout = Timeout });
        await SaveScreenshotAsync(page, "web-register.png");
        await page.GetByTestId("code").FillAsync("000000" == await page.GetByTestId("dev-code").TextContentAsync() ? "111111" : "000000");
        await page.GetByTestId("verify").ClickAsync();
        await Expect(page.GetByTestId("register-error")).ToContainTextAsync("error 5", new() { Timeout = Timeout }); // AUTH_FAILED
    }

    private async Task<IPage> RegisterAsync(IBrowserContext context, string phone)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(BaseUrl);
        await page.GetByTestId("phone").FillAsync(phone);
        await page.GetByTestId("request-code").ClickAsync();
        var code = page.GetByTestId("dev-code");
        await Expect(code).ToHaveTextAsync(new Regex("^[0-9]{6}$"), new() { Timeout = Timeout });
        await page.GetByTestId("code").FillAsync((await code.TextContentAsync())!);
        await page.GetByTestId("verify").ClickAsync();
        await Expect(page.GetByTestId("me")).ToHaveTextAsync(phone, new() { Timeout = Timeout });
        await Expect(page.GetByTestId("connection")).ToContainTextAsync("online", new() { Timeout = Timeout });
        return page;
    }

    private static async Task OpenChatAsync(IPage page, string phone)
    {
        await page.GetByTestId("new-chat-phone").FillAsync(phone);
        await page.GetByTestId("new-chat").ClickAsync();
        await Expect(page.GetByTestId("chat-title")).ToHaveTextAsync(phone);
    }

    private static async Task SendTextAsync(IPage page, string text)
    {
        await page.GetByTestId("composer").FillAsync(text);
        await page.GetByTestId("send").ClickAsync();
        await Expect(Last(page)).ToContainTextAsync(text);
    }

    private static ILocator Last(IPage page) => page.Locator("[data-testid=message].mine").Last;

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        var directory = Environment.GetEnvironmentVariable("AKKACHAT_UPDATE_SCREENSHOTS") == "1"
            ? Browser.ImagesDirectory()
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name) });
    }
}
