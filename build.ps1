# Restore, build and test AkkaChat with the dotnet CLI: the same commands as scripts/build.sh.
#   ./build.ps1                 restore, build (Release), run every test
#   ./build.ps1 -Fast           skip the slow suites (Category=Slow)
#   ./build.ps1 -Filter EXPR    run only the tests matching a dotnet test filter expression
#   ./build.ps1 -NoTest         restore and build only
#   ./build.ps1 -Debug          build the Debug configuration
param(
    [switch]$Fast,
    [string]$Filter = "",
    [switch]$NoTest,
    [switch]$Debug
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

$configuration = if ($Debug) { "Debug" } else { "Release" }
if ($Fast) { $Filter = "Category!=Slow" }

$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"
$env:DOTNET_NOLOGO = "1"

dotnet restore AkkaChat.sln
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
dotnet build AkkaChat.sln --no-restore -c $configuration
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
if ($NoTest) { exit 0 }

# The multi-node tests need PostgreSQL: start the private server (same script as build.sh uses).
if (-not $Fast -and -not $env:AKKACHAT_TEST_POSTGRES) {
    $server = (bash scripts/start-postgres.sh)
    $env:AKKACHAT_TEST_POSTGRES = $server -replace "Database=akkachat", "Database=postgres"
}

$testArgs = @("test", "AkkaChat.sln", "--no-build", "-c", $configuration, "-m:1")
if ($Filter) { $testArgs += @("--filter", $Filter) }
dotnet @testArgs
exit $LASTEXITCODE
