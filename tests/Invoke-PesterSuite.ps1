<#
.SYNOPSIS
    Runs the Pester suite (tests/*.Tests.ps1) against the module built into ./out/MqttPS, each file in a PowerShell
    process of its own with a deadline, and prints one summary line.

.DESCRIPTION
    A test that hangs must fail, not hang CI: every test that waits has its own deadline, and each file's process is
    killed (with its children) when the file as a whole overruns -TimeoutSeconds; the file then counts as failed.
    Pester 5.7.1 is imported from the NuGet package folder (dotnet restore tests/PesterRestore puts it there).
    Exit code: the number of failed tests (0 when all passed).
#>
[CmdletBinding()]
param(
    # Test files or folders; by default every *.Tests.ps1 in this folder.
    [string[]] $Path = @($PSScriptRoot),
    # Deadline for one file's process.
    [int] $TimeoutSeconds = 900,
    # Pester's module manifest; by default the one NuGet restored.
    [string] $PesterModule,
    # Where each file's NUnit XML result and counts go.
    [string] $ResultDirectory = (Join-Path $PSScriptRoot '../out/TestResults/pester'),
    # Only tests with these Pester tags.
    [string[]] $Tag,
    [string[]] $ExcludeTag
)

$ErrorActionPreference = 'Stop'
if (-not $PesterModule) {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $PesterModule = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
}
if (-not (Test-Path $PesterModule)) {
    throw "Pester 5.7.1 not found at '$PesterModule'. Run: dotnet restore tests/PesterRestore"
}
$moduleManifest = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (-not (Test-Path $moduleManifest)) {
    throw "The module is not built ('$moduleManifest' is missing). Run: dotnet build src/MqttPS -c Release"
}

$files = @(foreach ($p in $Path) {
    if (Test-Path $p -PathType Container) { Get-ChildItem -Path $p -Filter '*.Tests.ps1' -File | Sort-Object Name }
    else { Get-Item $p }
})
$null = New-Item -ItemType Directory -Force -Path $ResultDirectory

# The real PowerShell of this session, started without the dotnet-tool launcher in between, so that killing it kills
# PowerShell itself. $PSHOME/pwsh.dll under the dotnet host, or the native pwsh (Windows PowerShell has no pwsh.dll).
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
if (Test-Path $pwshDll) { $exe = [Environment]::ProcessPath; $prefix = @('exec', $pwshDll) }
else { $exe = (Get-Process -Id $PID).Path; $prefix = @() }

function ConvertTo-Argument([string] $Text) { '"' + $Text.Replace('\', '\\').Replace('"', '\"') + '"' }

$passed = 0; $failed = 0; $skipped = 0
$watch = [System.Diagnostics.Stopwatch]::StartNew()
foreach ($file in $files) {
    $resultFile = Join-Path $ResultDirectory ($file.BaseName + '.xml')
    $countsFile = Join-Path $ResultDirectory ($file.BaseName + '.counts')
    Remove-Item $resultFile, $countsFile -ErrorAction SilentlyContinue
    $script = @'
param($pester, $file, $result, $counts, $tag, $excludeTag)
Import-Module $pester -MinimumVersion 5.7.1 -ErrorAction Stop
$c = New-PesterConfiguration
$c.Run.Path = $file
$c.Output.Verbosity = 'Detailed'
$c.Output.RenderMode = 'Plaintext'
$c.TestResult.Enabled = $true
$c.TestResult.OutputFormat = 'NUnitXml'
$c.TestResult.OutputPath = $result
if ($tag) { $c.Filter.Tag = $tag -split ',' }
if ($excludeTag) { $c.Filter.ExcludeTag = $excludeTag -split ',' }
$c.Run.PassThru = $true
$r = Invoke-Pester -Configuration $c
# A file that does not parse, or a failing BeforeAll/AfterAll, fails a container or block rather than a test: count
# those as failures too, or a broken file would pass as "0 failed".
$broken = $r.FailedBlocksCount + $r.FailedContainersCount
"$($r.PassedCount) $($r.FailedCount + $broken) $($r.SkippedCount + $r.NotRunCount + $r.InconclusiveCount)" | Set-Content -Path $counts
'@
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
        "& { $script } $(ConvertTo-Argument $PesterModule) $(ConvertTo-Argument $file.FullName) $(ConvertTo-Argument $resultFile) $(ConvertTo-Argument $countsFile) '$($Tag -join ',')' '$($ExcludeTag -join ',')'"))
    $arguments = @($prefix | ForEach-Object { ConvertTo-Argument $_ }) + @('-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand', $encoded)
    $start = [System.Diagnostics.ProcessStartInfo]::new($exe, ($arguments -join ' '))
    $start.UseShellExecute = $false
    $start.WorkingDirectory = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
    Write-Host "== $($file.Name)"
    $process = [System.Diagnostics.Process]::Start($start)
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        $null = $process.WaitForExit(10000)
        Write-Host "!! $($file.Name) did not finish within $TimeoutSeconds s; its process was killed." -ForegroundColor Red
        $failed++
    }
    if (Test-Path $countsFile) {
        $p, $f, $s = (Get-Content -Raw $countsFile).Trim() -split ' '
        $passed += [int]$p; $failed += [int]$f; $skipped += [int]$s
        if ([int]$f -gt 0) { Write-Host "!! $($file.Name): $f failed (tests, or blocks and files that could not run)." -ForegroundColor Red }
    }
    else {
        Write-Host "!! $($file.Name) wrote no test result (exit code $($process.ExitCode))." -ForegroundColor Red
        $failed++
    }
}
"pester: $passed passed, $failed failed, $skipped skipped ($([int]$watch.Elapsed.TotalSeconds) s)"
exit $failed
