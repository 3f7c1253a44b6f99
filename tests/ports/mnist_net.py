"""The network and loops of PyTorch's examples/mnist (main.py), narrower so that it runs in seconds:
torch.flatten(x, 1), dropout, F.log_softmax(x, dim=1), F.nll_loss, Adadelta with StepLR, and the test
loop's output.argmax(dim=1, keepdim=True) with pred.eq(target.view_as(pred)). The test runs it under
PyTorch and under minicnn with only the import lines changed (dropout rate DROPOUT, 0 for the
step-for-step comparison: the two libraries draw different random masks)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

DROPOUT = 0.25
USE_CUDA = False


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(DROPOUT)
        self.dropout2 = nn.Dropout(2 * DROPOUT)
        self.fc1 = nn.Linear(2304, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct / len(test_loader.dataset)


def build():
    return Net()


def run(init, images, labels, epochs=2, batch_size=16):
    use_cuda = USE_CUDA and torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    model = Net().to(device)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()})
    dataset = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    train_loader = DataLoader(dataset, batch_size=batch_size, pin_memory=True)
    test_loader = DataLoader(dataset, batch_size=64)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses, tests = [], []
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, losses)
        tests.append(test(model, device, test_loader))
        scheduler.step()
    return losses, tests
